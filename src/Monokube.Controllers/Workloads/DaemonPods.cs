using System.Globalization;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry.Strategies;
using Monokube.Controllers.Scheduling;

namespace Monokube.Controllers.Workloads;

/// <summary>
/// What kube's daemonset controller decides about one DaemonSet's pods: whether a node should run one (with the
/// tolerations every daemon pod gets), the pod it creates for a node, the node a pod is meant for, whether a pod
/// is of the current revision, and the rolling update's surge and unavailability.
/// </summary>
public static class DaemonPods
{
    public const string HashLabel = "controller-revision-hash";
    public const string TemplateGenerationLabel = "pod-template-generation";

    private const string NodeNameField = "metadata.name";

    // kube's AddOrUpdateDaemonPodTolerations: daemon pods survive node problems and run on unschedulable nodes.
    private static readonly (string Key, string Effect)[] DefaultTolerations =
    [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];

    private static readonly (string Key, string Effect) HostNetworkToleration = ("node.kubernetes.io/network-unavailable", "NoSchedule");

    /// <summary>Adds (or puts in place of an equal one) every toleration kube gives daemon pods.</summary>
    public static void AddDefaultTolerations(JsonObject podSpec)
    {
        foreach (var (key, effect) in DefaultTolerations)
        {
            AddOrUpdateToleration(podSpec, key, effect);
        }

        if (podSpec.GetBool("hostNetwork"))
        {
            AddOrUpdateToleration(podSpec, HostNetworkToleration.Key, HostNetworkToleration.Effect);
        }
    }

    /// <summary>
    /// kube's NodeShouldRunDaemonPod: whether a new daemon pod belongs on the node (name, node selector and
    /// required affinity, NoSchedule and NoExecute taints), and whether one already there may stay (only untolerated
    /// NoExecute taints evict it).
    /// </summary>
    public static (bool ShouldRun, bool ShouldContinueRunning) ShouldRun(JsonObject node, JsonObject ds)
    {
        var template = ds.Find("spec.template.spec") as JsonObject ?? [];
        var nodeName = node.GetString("metadata.name");
        if (template.GetString("nodeName") is { Length: > 0 } wanted && wanted != nodeName)
        {
            return (false, false);
        }

        if (!NodeFit.MatchesNodeSelectorAndAffinity(template, node))
        {
            return (false, false);
        }

        var probe = new JsonObject { ["hostNetwork"] = template["hostNetwork"]?.DeepClone(), ["tolerations"] = template["tolerations"]?.DeepClone() };
        AddDefaultTolerations(probe);
        var tolerations = (probe["tolerations"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var taints = (node.Find("spec.taints") as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        bool Untolerated(string effect) => taints.Any(t => t.GetString("effect") == effect
            && !tolerations.Any(tol => NodeFit.Tolerates(tol, t.GetString("key") ?? "", t.GetString("value") ?? "", effect)));

        var evicted = Untolerated("NoExecute");
        return evicted || Untolerated("NoSchedule") ? (false, !evicted) : (true, true);
    }

    /// <summary>
    /// The pod kube's syncNodes creates for a node: the template with the daemon tolerations, the revision's hash
    /// (and template generation) labels, and a required node affinity on the node's name, for the scheduler to bind.
    /// </summary>
    public static JsonObject NewPod(JsonObject ds, string nodeName, string hash)
    {
        var pod = ReplicaSetController.PodFromTemplate(ds, ds.GetString("metadata.namespace")!, "DaemonSet");
        var labels = pod["metadata"]!.AsObject().GetOrAddObject("labels");
        if (TemplateGeneration(ds) is { } generation)
        {
            labels[TemplateGenerationLabel] = generation.ToString(CultureInfo.InvariantCulture);
        }

        labels[HashLabel] = hash;
        var spec = pod["spec"]!.AsObject();
        AddDefaultTolerations(spec);
        ReplaceNodeNameAffinity(spec, nodeName);
        return pod;
    }

    /// <summary>
    /// kube's ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes the one term selecting the
    /// node by name (the controller has already checked that the node satisfies the template's own terms).
    /// </summary>
    public static void ReplaceNodeNameAffinity(JsonObject podSpec, string nodeName)
    {
        var terms = new JsonArray((JsonNode)new JsonObject
        {
            ["matchFields"] = new JsonArray((JsonNode)new JsonObject
            {
                ["key"] = NodeNameField,
                ["operator"] = "In",
                ["values"] = new JsonArray((JsonNode)JsonValue.Create(nodeName)),
            }),
        });
        var nodeAffinity = podSpec.GetOrAddObject("affinity").GetOrAddObject("nodeAffinity");
        nodeAffinity.GetOrAddObject("requiredDuringSchedulingIgnoredDuringExecution")["nodeSelectorTerms"] = terms;
    }

    /// <summary>kube's GetTargetNodeName: the node a daemon pod is bound to, or the one its affinity names.</summary>
    public static string? TargetNode(JsonObject pod)
    {
        if (pod.GetString("spec.nodeName") is { Length: > 0 } bound)
        {
            return bound;
        }

        var terms = pod.Find("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms") as JsonArray;
        foreach (var term in terms?.OfType<JsonObject>() ?? [])
        {
            foreach (var field in (term["matchFields"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                if (field.GetString("key") == NodeNameField && field.GetString("operator") == "In")
                {
                    return field["values"] is JsonArray { Count: 1 } values ? values[0]?.ToString() : null;
                }
            }
        }

        return null;
    }

    /// <summary>The template generation the API server keeps in an annotation, if it is there.</summary>
    public static long? TemplateGeneration(JsonObject ds) =>
        long.TryParse(ds.Find("metadata.annotations")?[WorkloadStrategy.TemplateGenerationAnnotation]?.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var g) ? g : null;

    /// <summary>kube's IsPodUpdated: the pod carries the current revision's hash (or the current template generation).</summary>
    public static bool IsUpdated(JsonObject pod, string hash, long? templateGeneration)
    {
        var labels = pod.Find("metadata.labels") as JsonObject;
        var generationMatches = templateGeneration is { } g && labels?[TemplateGenerationLabel]?.ToString() == g.ToString(CultureInfo.InvariantCulture);
        return (hash.Length > 0 && labels?[HashLabel]?.ToString() == hash) || generationMatches;
    }

    /// <summary>
    /// maxSurge and maxUnavailable of a RollingUpdate over <paramref name="desired"/> nodes, both rounded up as kube
    /// does; when both come out zero one node may be unavailable. OnDelete: no surge and nothing unavailable.
    /// </summary>
    public static (int Surge, int Unavailable) SurgeAndUnavailable(JsonObject ds, int desired)
    {
        if (ds.GetString("spec.updateStrategy.type") is { } type && type != "RollingUpdate")
        {
            return (0, 0);
        }

        var rolling = ds.Find("spec.updateStrategy.rollingUpdate") as JsonObject;
        var surge = RolloutMath.Resolve(rolling?["maxSurge"], desired, roundUp: true, fallback: 0);
        var unavailable = RolloutMath.Resolve(rolling?["maxUnavailable"], desired, roundUp: true, fallback: 0);
        if (desired > 0 && surge == 0 && unavailable == 0)
        {
            unavailable = 1;
        }

        return (surge, unavailable);
    }

    /// <summary>kube's AllowsSurge: whether more than one pod may run on a node during an update.</summary>
    public static bool AllowsSurge(JsonObject ds) => SurgeAndUnavailable(ds, 1).Surge > 0;

    /// <summary>kube's podByCreationTimestampAndPhase: bound pods first, then oldest first, then by name.</summary>
    public static int CompareOldestFirst(JsonObject a, JsonObject b)
    {
        var aBound = !string.IsNullOrEmpty(a.GetString("spec.nodeName"));
        var bBound = !string.IsNullOrEmpty(b.GetString("spec.nodeName"));
        if (aBound != bBound)
        {
            return aBound ? -1 : 1;
        }

        var byAge = string.CompareOrdinal(a.GetString("metadata.creationTimestamp"), b.GetString("metadata.creationTimestamp"));
        return byAge != 0 ? byAge : string.CompareOrdinal(a.GetString("metadata.name"), b.GetString("metadata.name"));
    }

    // kube's AddOrUpdateTolerationInPodSpec: a toleration with the same key, operator, value and effect is replaced.
    private static void AddOrUpdateToleration(JsonObject podSpec, string key, string effect)
    {
        var toleration = new JsonObject { ["key"] = key, ["operator"] = "Exists", ["effect"] = effect };
        if (podSpec["tolerations"] is not JsonArray tolerations)
        {
            podSpec["tolerations"] = new JsonArray((JsonNode)toleration);
            return;
        }

        for (var i = 0; i < tolerations.Count; i++)
        {
            if (tolerations[i] is JsonObject existing && existing.GetString("key") == key && existing.GetString("operator") == "Exists"
                && (existing.GetString("value") ?? "") == "" && existing.GetString("effect") == effect)
            {
                tolerations[i] = toleration;
                return;
            }
        }

        tolerations.Add((JsonNode)toleration);
    }
}
