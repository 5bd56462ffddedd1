using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Validation;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    private static bool IsService(ResourceDefinition resource) => resource.Group.Length == 0 && resource.Plural == "services";

    /// <summary>
    /// Gives a new Service its cluster IP (reserved as an IPAddress object) and node ports; returns the IP to release
    /// if the Service is not stored after all.
    /// </summary>
    private async Task<string?> AllocateServiceAsync(JsonObject service, string ns, string name, bool dryRun, CancellationToken cancellationToken)
    {
        var spec = service.GetOrAddObject("spec");
        var type = spec.GetString("type") ?? "ClusterIP";
        if (type == "ExternalName")
        {
            spec.Remove("clusterIP");
            spec.Remove("clusterIPs");
            return null;
        }

        var requested = spec.GetString("clusterIP") ?? (spec["clusterIPs"] as JsonArray)?.FirstOrDefault()?.ToString();
        string? allocated = null;
        if (requested == "None")
        {
            spec["clusterIP"] = "None";
            spec["clusterIPs"] = new JsonArray((JsonNode)"None");
        }
        else
        {
            var ip = await api.ClusterIps.AllocateAsync(requested, ns, name, dryRun, cancellationToken);
            allocated = dryRun ? null : ip;
            spec["clusterIP"] = ip;
            spec["clusterIPs"] = new JsonArray((JsonNode)ip);
        }

        spec["ipFamilies"] ??= new JsonArray((JsonNode)"IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
        if (type is "NodePort" or "LoadBalancer")
        {
            try
            {
                await AllocateNodePortsAsync(spec, ns, name, cancellationToken);
            }
            catch
            {
                await api.ClusterIps.ReleaseAsync(allocated, CancellationToken.None);
                throw;
            }
        }

        return allocated;
    }

    private async Task AllocateNodePortsAsync(JsonObject spec, string ns, string name, CancellationToken cancellationToken)
    {
        if (spec["ports"] is not JsonArray ports)
        {
            return;
        }

        var (first, last) = api.Options.ServiceNodePortRange;
        await api.NodePortLock.WaitAsync(cancellationToken);
        try
        {
            var services = await api.Store.ListAsync(new ListRequest("/services/specs/"), cancellationToken);
            var used = new HashSet<long>();
            foreach (var item in services.Items)
            {
                var other = ObjectWriter.Parse(item.Value);
                if (other.GetString("metadata.namespace") == ns && other.GetString("metadata.name") == name)
                {
                    continue;
                }

                foreach (var port in (other.Find("spec.ports") as JsonArray)?.OfType<JsonObject>() ?? [])
                {
                    if (port.GetLong("nodePort") is { } n)
                    {
                        used.Add(n);
                    }
                }
            }

            for (var i = 0; i < ports.Count; i++)
            {
                if (ports[i] is not JsonObject port)
                {
                    continue;
                }

                if (port.GetLong("nodePort") is { } wanted)
                {
                    if (wanted < first || wanted > last || !used.Add(wanted))
                    {
                        throw new ApiException(new Status
                        {
                            Message = $"Service \"{name}\" is invalid: spec.ports[{i}].nodePort: Invalid value: {wanted}: " + (wanted < first || wanted > last ? $"provided port is not in the valid range. The range of valid ports is {first}-{last}" : "provided port is already allocated"),
                            Reason = "Invalid",
                            Details = new StatusDetails { Name = name, Kind = "Service", Causes = [FieldErrors.Invalid($"spec.ports[{i}].nodePort", wanted.ToString(System.Globalization.CultureInfo.InvariantCulture), "provided port is already allocated")] },
                            Code = 422,
                        });
                    }

                    continue;
                }

                var free = Enumerable.Range(first, last - first + 1).Select(p => (long)p).Where(p => !used.Contains(p)).ToList();
                if (free.Count == 0)
                {
                    throw new ApiException(Statuses.InternalError($"no free node port in {first}-{last}"));
                }

                var chosen = free[Random.Shared.Next(free.Count)];
                used.Add(chosen);
                port["nodePort"] = chosen;
            }
        }
        finally
        {
            api.NodePortLock.Release();
        }
    }

    private Task ReleaseServiceAsync(ResourceDefinition resource, JsonObject service) =>
        IsService(resource) ? api.ClusterIps.ReleaseAsync(service.GetString("spec.clusterIP"), CancellationToken.None) : Task.CompletedTask;
}
