using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// Services: DNS-1035 names, kube-apiserver's defaults for type, ports and IP families, and a cluster IP that may
/// not change once set. The IP itself is allocated by <see cref="Services.ClusterIpAllocator"/>.
/// </summary>
public sealed class ServiceStrategy : ResourceStrategy
{
    public ServiceStrategy()
    {
        ReturnsDeletedObject = true;
        NameRule = NameRule.Dns1035Label;
    }

    public override void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        base.PrepareForCreate(context, resource, obj);
        ApplyDefaults(obj.GetOrAddObject("spec"));
        obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
    }

    public override void PrepareForUpdate(StrategyContext context, ResourceDefinition resource, JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(context, resource, obj, old);
        var spec = obj.GetOrAddObject("spec");
        var oldSpec = old.GetObject("spec");

        // An update that leaves the cluster IP out keeps the allocated one, as kube-apiserver does.
        if (spec["clusterIP"] is null && oldSpec?["clusterIP"] is { } ip)
        {
            spec["clusterIP"] = ip.DeepClone();
        }

        if (spec["clusterIPs"] is null && oldSpec?["clusterIPs"] is { } ips)
        {
            spec["clusterIPs"] = ips.DeepClone();
        }

        // Allocated node ports stay when an update leaves them out, as kube-apiserver keeps them.
        if (spec["ports"] is JsonArray ports && oldSpec?["ports"] is JsonArray oldPorts)
        {
            foreach (var port in ports.OfType<JsonObject>().Where(p => p["nodePort"] is null))
            {
                var match = oldPorts.OfType<JsonObject>().FirstOrDefault(o => JsonNode.DeepEquals(o["port"], port["port"]) && o.GetString("protocol") == (port.GetString("protocol") ?? "TCP"));
                if (match?["nodePort"] is { } nodePort)
                {
                    port["nodePort"] = nodePort.DeepClone();
                }
            }
        }

        ApplyDefaults(spec);
    }

    public override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj.GetObject("spec");
        var type = spec?.GetString("type") ?? "ClusterIP";
        if (type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName"))
        {
            causes.Add(FieldErrors.NotSupported("spec.type", type, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]));
        }

        if (type != "ExternalName" && spec?.GetString("clusterIP") != "None" && spec?["ports"] is not JsonArray { Count: > 0 })
        {
            causes.Add(FieldErrors.Required("spec.ports"));
        }
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<StatusCause> causes)
    {
        var ip = obj.GetObject("spec")?["clusterIP"];
        var oldIp = old.GetObject("spec")?["clusterIP"];
        if (oldIp is not null && oldIp.ToString().Length > 0 && !JsonNode.DeepEquals(ip, oldIp))
        {
            causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: " + (ip?.ToJsonString() ?? "\"\"") + ": field is immutable", "spec.clusterIPs[0]"));
        }
    }

    private static void ApplyDefaults(JsonObject spec)
    {
        if (spec["type"] is null)
        {
            spec["type"] = "ClusterIP";
        }

        var type = spec.GetString("type");
        if (type == "ExternalName")
        {
            return;
        }

        if (spec["sessionAffinity"] is null)
        {
            spec["sessionAffinity"] = "None";
        }

        if (spec["internalTrafficPolicy"] is null)
        {
            spec["internalTrafficPolicy"] = "Cluster";
        }

        if (type is "NodePort" or "LoadBalancer" && spec["externalTrafficPolicy"] is null)
        {
            spec["externalTrafficPolicy"] = "Cluster";
        }

        if (spec["ports"] is JsonArray ports)
        {
            foreach (var port in ports.OfType<JsonObject>())
            {
                if (port["protocol"] is null)
                {
                    port["protocol"] = "TCP";
                }

                if (port["targetPort"] is null && port["port"] is { } number)
                {
                    port["targetPort"] = number.DeepClone();
                }
            }
        }
    }
}
