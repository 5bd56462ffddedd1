using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>The defaults kube-apiserver gives a pod spec (also inside workload templates), and a pod's QoS class.</summary>
public static class PodDefaults
{
    public static void ApplyToPodSpec(JsonObject spec)
    {
        SetIfMissing(spec, "dnsPolicy", "ClusterFirst");
        SetIfMissing(spec, "restartPolicy", "Always");
        SetIfMissing(spec, "terminationGracePeriodSeconds", 30);
        SetIfMissing(spec, "schedulerName", "default-scheduler");
        SetIfMissing(spec, "enableServiceLinks", true);
        if (spec["securityContext"] is null)
        {
            spec["securityContext"] = new JsonObject();
        }

        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            if (spec[list] is not JsonArray containers)
            {
                continue;
            }

            foreach (var container in containers.OfType<JsonObject>())
            {
                ApplyToContainer(container);
            }
        }
    }

    public static void ApplyToContainer(JsonObject container)
    {
        SetIfMissing(container, "terminationMessagePath", "/dev/termination-log");
        SetIfMissing(container, "terminationMessagePolicy", "File");
        if (container["imagePullPolicy"] is null && container.GetString("image") is { } image)
        {
            container["imagePullPolicy"] = PullPolicyFor(image);
        }

        if (container["resources"] is null)
        {
            container["resources"] = new JsonObject();
        }

        if (container["ports"] is JsonArray ports)
        {
            foreach (var port in ports.OfType<JsonObject>())
            {
                SetIfMissing(port, "protocol", "TCP");
            }
        }
    }

    /// <summary>Always for ":latest" or an untagged image, IfNotPresent otherwise (a digest counts as a tag).</summary>
    public static string PullPolicyFor(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        var lastSlash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        if (colon <= lastSlash)
        {
            return "Always";
        }

        return image[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    public static string QosClass(JsonObject spec)
    {
        var containers = new List<JsonObject>();
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec[list] is JsonArray items)
            {
                containers.AddRange(items.OfType<JsonObject>());
            }
        }

        var anySet = false;
        var guaranteed = containers.Count > 0;
        foreach (var container in containers)
        {
            var requests = container.GetObject("resources")?.GetObject("requests");
            var limits = container.GetObject("resources")?.GetObject("limits");
            anySet |= requests is { Count: > 0 } || limits is { Count: > 0 };
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var limit = limits?[resource]?.ToString();
                var request = requests?[resource]?.ToString() ?? limit;
                if (limit is null || request != limit)
                {
                    guaranteed = false;
                }
            }
        }

        return !anySet ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static void SetIfMissing(JsonObject obj, string name, JsonNode value)
    {
        if (obj[name] is null)
        {
            obj[name] = value;
        }
    }
}
