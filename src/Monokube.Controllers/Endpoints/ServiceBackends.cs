using System.Globalization;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Workloads;

namespace Monokube.Controllers.Endpoints;

/// <summary>One pod behind a Service: its address, readiness, and the Service's ports resolved against its containers.</summary>
public sealed record Backend(JsonObject Pod, string Ip, bool Ready, bool Terminating, IReadOnlyList<BackendPort> Ports)
{
    public string PortsKey => string.Join(";", Ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol}"));
}

public sealed record BackendPort(string? Name, long Port, string Protocol);

/// <summary>What the endpoints and endpointslice controllers share: which pods back a Service and on which ports.</summary>
public static class ServiceBackends
{
    /// <summary>The pods a selector Service targets that have an address and have not finished.</summary>
    public static List<Backend> For(JsonObject service, IEnumerable<JsonObject> pods)
    {
        var ns = service.GetString("metadata.namespace");
        var selector = service.Find("spec.selector") as JsonObject;
        var backends = new List<Backend>();
        foreach (var pod in pods)
        {
            if (pod.GetString("metadata.namespace") != ns || !Matches(selector, pod))
            {
                continue;
            }

            var ip = pod.GetString("status.podIP");
            if (string.IsNullOrEmpty(ip) || pod.GetString("status.phase") is "Succeeded" or "Failed")
            {
                continue;
            }

            var ports = new List<BackendPort>();
            foreach (var port in (service.Find("spec.ports") as JsonArray ?? []).OfType<JsonObject>())
            {
                if (Resolve(port, pod) is { } number)
                {
                    ports.Add(new BackendPort(port.GetString("name"), number, port.GetString("protocol") ?? "TCP"));
                }
            }

            backends.Add(new Backend(pod, ip, PodConditions.IsReady(pod) && !Owners.IsBeingDeleted(pod), Owners.IsBeingDeleted(pod), ports));
        }

        return backends;
    }

    public static bool HasSelector(JsonObject service) => service.Find("spec.selector") is JsonObject { Count: > 0 };

    /// <summary>Whether the Service's selector picks the pod by its labels (whatever its state).</summary>
    public static bool Selects(JsonObject service, JsonObject pod) => Matches(service.Find("spec.selector") as JsonObject, pod);

    public static JsonObject TargetRef(JsonObject pod) => new()
    {
        ["kind"] = "Pod",
        ["namespace"] = pod.GetString("metadata.namespace"),
        ["name"] = pod.GetString("metadata.name"),
        ["uid"] = pod.GetString("metadata.uid"),
    };

    // A Service's selector is a plain map: every key must match exactly.
    private static bool Matches(JsonObject? selector, JsonObject pod)
    {
        var labels = pod.Find("metadata.labels") as JsonObject;
        return selector is { Count: > 0 } && selector.All(kv => labels?[kv.Key]?.ToString() == kv.Value?.ToString());
    }

    // targetPort: a number, a name of a container port in the pod (skipped when the pod has none), or absent (= port).
    private static long? Resolve(JsonObject port, JsonObject pod)
    {
        var target = port["targetPort"];
        if (target is null)
        {
            return CommonPort(port, "port");
        }

        if (target is JsonValue v && v.TryGetValue<long>(out var number))
        {
            return number;
        }

        var name = target.ToString();
        if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        var protocol = port.GetString("protocol") ?? "TCP";
        foreach (var container in (pod.Find("spec.containers") as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var containerPort in (container["ports"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (containerPort.GetString("name") == name && (containerPort.GetString("protocol") ?? "TCP") == protocol)
                {
                    return CommonPort(containerPort, "containerPort");
                }
            }
        }

        return null;
    }

    private static long? CommonPort(JsonObject obj, string field) => obj[field] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;
}
