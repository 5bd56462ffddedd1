using System.Globalization;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers.Scheduling;

/// <summary>
/// The default scheduler's filters for one pod on one node, each giving kube's reason when the node does not fit:
/// node name, unschedulable nodes, taints and tolerations, nodeSelector and required node affinity, host ports,
/// and resource requests against allocatable (with the pods already there).
/// </summary>
public static class NodeFit
{
    public const string Unschedulable = "node(s) were unschedulable";
    public const string AffinityMismatch = "node(s) didn't match Pod's node affinity/selector";
    public const string PortsTaken = "node(s) didn't have free ports for the requested pod ports";
    public const string NameMismatch = "node(s) didn't match the requested node name";
    public const string TooManyPods = "Too many pods";

    /// <summary>Why the pod (whose footprint is given) cannot run on the node with that usage (empty: it fits).</summary>
    public static List<string> Reasons(JsonObject pod, PodFootprint footprint, NodeInfo node, NodeUsage usage)
    {
        var reasons = new List<string>();
        var spec = pod["spec"] as JsonObject ?? [];
        if (spec.GetString("nodeName") is { Length: > 0 } wanted && wanted != node.Name)
        {
            reasons.Add(NameMismatch);
        }

        var tolerations = (spec["tolerations"] as JsonArray)?.OfType<JsonObject>() ?? [];
        if (node.Unschedulable && !tolerations.Any(t => Tolerates(t, "node.kubernetes.io/unschedulable", "", "NoSchedule")))
        {
            reasons.Add(Unschedulable);
        }

        if (!MatchesNodeSelectorAndAffinity(spec, node.Node))
        {
            reasons.Add(AffinityMismatch);
        }

        foreach (var (key, value, effect) in node.Taints)
        {
            if (!tolerations.Any(t => Tolerates(t, key, value, effect)))
            {
                reasons.Add($"node(s) had untolerated taint {{{key}: {value}}}");
                break;
            }
        }

        if (footprint.HostPorts.Any(wanted => usage.HostPorts.Any(wanted.ConflictsWith)))
        {
            reasons.Add(PortsTaken);
        }

        reasons.AddRange(InsufficientResources(footprint, node, usage));
        return reasons;
    }

    /// <summary>Whether a toleration tolerates a taint (kube's ToleratesTaint).</summary>
    public static bool Tolerates(JsonObject toleration, string key, string value, string effect)
    {
        var tolerationEffect = toleration.GetString("effect") ?? "";
        if (tolerationEffect.Length > 0 && tolerationEffect != effect)
        {
            return false;
        }

        var tolerationKey = toleration.GetString("key") ?? "";
        var op = toleration.GetString("operator") ?? "Equal";
        if (tolerationKey.Length == 0)
        {
            return op == "Exists";
        }

        if (tolerationKey != key)
        {
            return false;
        }

        return op == "Exists" || (op == "Equal" && (toleration.GetString("value") ?? "") == value);
    }

    public static bool MatchesNodeSelectorAndAffinity(JsonObject podSpec, JsonObject node)
    {
        var labels = node.Find("metadata.labels") as JsonObject;
        if (podSpec["nodeSelector"] is JsonObject selector)
        {
            foreach (var (key, value) in selector)
            {
                if (labels?[key]?.ToString() != value?.ToString())
                {
                    return false;
                }
            }
        }

        // Required node affinity: the terms are ORed, each term's expressions ANDed.
        if (podSpec.Find("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms") is JsonArray terms && terms.Count > 0)
        {
            return terms.OfType<JsonObject>().Any(term => TermMatches(term, node, labels));
        }

        return true;
    }

    private static bool TermMatches(JsonObject term, JsonObject node, JsonObject? labels)
    {
        var expressions = (term["matchExpressions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var fields = (term["matchFields"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (expressions.Count == 0 && fields.Count == 0)
        {
            return false;
        }

        return expressions.All(e => ExpressionMatches(e, labels?[e.GetString("key") ?? ""]?.ToString()))
            && fields.All(f => f.GetString("key") == "metadata.name" && ExpressionMatches(f, node.GetString("metadata.name")));
    }

    private static bool ExpressionMatches(JsonObject expression, string? actual)
    {
        var values = (expression["values"] as JsonArray)?.Select(v => v?.ToString() ?? "").ToList() ?? [];
        return expression.GetString("operator") switch
        {
            "In" => actual is not null && values.Contains(actual),
            "NotIn" => actual is null || !values.Contains(actual),
            "Exists" => actual is not null,
            "DoesNotExist" => actual is null,
            "Gt" => actual is not null && long.TryParse(actual, CultureInfo.InvariantCulture, out var a) && values.Count == 1 && long.TryParse(values[0], CultureInfo.InvariantCulture, out var b) && a > b,
            "Lt" => actual is not null && long.TryParse(actual, CultureInfo.InvariantCulture, out var c) && values.Count == 1 && long.TryParse(values[0], CultureInfo.InvariantCulture, out var d) && c < d,
            _ => false,
        };
    }

    public static IEnumerable<HostPort> HostPorts(JsonObject spec) =>
        new[] { "initContainers", "containers" }
            .SelectMany(list => (spec[list] as JsonArray)?.OfType<JsonObject>() ?? [])
            .SelectMany(c => (c["ports"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Where(p => (p.GetLong("hostPort") ?? 0) > 0)
            .Select(p => new HostPort(p.GetLong("hostPort")!.Value, p.GetString("protocol") ?? "TCP", p.GetString("hostIP") ?? ""));

    private static IEnumerable<string> InsufficientResources(PodFootprint pod, NodeInfo node, NodeUsage usage)
    {
        if (usage.Pods + 1 > node.Allocatable.GetValueOrDefault("pods"))
        {
            yield return TooManyPods;
        }

        foreach (var (name, amount) in pod.Requests.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (amount > 0 && usage.Requested.GetValueOrDefault(name) + amount > node.Allocatable.GetValueOrDefault(name))
            {
                yield return "Insufficient " + name;
            }
        }
    }

    /// <summary>
    /// A pod's effective requests, as the scheduler counts them: the larger of the containers' sum and any init
    /// container's (restartable init containers are added to the sum), plus the pod overhead.
    /// </summary>
    public static Dictionary<string, decimal> Requests(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        var sum = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var container in (spec["containers"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            Add(sum, ContainerRequests(container));
        }

        foreach (var init in (spec["initContainers"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            var requests = ContainerRequests(init);
            if (init.GetString("restartPolicy") == "Always")
            {
                Add(sum, requests);
                continue;
            }

            foreach (var (name, amount) in requests)
            {
                sum[name] = Math.Max(sum.GetValueOrDefault(name), amount);
            }
        }

        if (spec["overhead"] is JsonObject overhead)
        {
            Add(sum, overhead.ToDictionary(p => p.Key, p => Quantity.Parse(p.Value?.ToString())));
        }

        return sum;
    }

    // Requests, or limits where a resource has only a limit (as kube's defaulting fills requests from limits).
    private static Dictionary<string, decimal> ContainerRequests(JsonObject container)
    {
        var result = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var source in new[] { "limits", "requests" })
        {
            if (container.Find("resources." + source) is JsonObject values)
            {
                foreach (var (name, value) in values)
                {
                    result[name] = Quantity.Parse(value?.ToString());
                }
            }
        }

        return result;
    }

    private static void Add(Dictionary<string, decimal> sum, Dictionary<string, decimal> more)
    {
        foreach (var (name, amount) in more)
        {
            sum[name] = sum.GetValueOrDefault(name) + amount;
        }
    }
}
