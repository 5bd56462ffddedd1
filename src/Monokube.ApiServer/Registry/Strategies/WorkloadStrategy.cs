using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// Deployments, ReplicaSets, DaemonSets, StatefulSets, Jobs, CronJobs and ReplicationControllers: generation
/// tracking, the defaults kube-apiserver gives their specs and pod templates, a Job's generated selector, and a
/// DaemonSet's template generation.
/// </summary>
public sealed class WorkloadStrategy : ResourceStrategy
{
    /// <summary>Where apps/v1 keeps a DaemonSet's spec.templateGeneration, which the server owns.</summary>
    public const string TemplateGenerationAnnotation = "deprecated.daemonset.template.generation";

    private readonly string _kind;

    public WorkloadStrategy(string kind)
    {
        _kind = kind;
        TracksGeneration = true;

        // kube's Deployment status strategy resets the labels too (the others only the spec).
        MetadataKeptOnStatusUpdate = kind == "Deployment" ? ["labels"] : [];
    }

    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields => _kind == "Job"
        ? JobFields
        : base.SelectableFields;

    private static readonly Dictionary<string, Func<JsonObject, string?>> JobFields = new()
    {
        ["status.successful"] = o => (o.GetObject("status")?.GetLong("succeeded") ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public override void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        base.PrepareForCreate(context, resource, obj);
        var spec = obj.GetOrAddObject("spec");
        if (_kind == "Job")
        {
            GenerateJobSelector(obj, spec, context.Release);
        }

        ApplyDefaults(spec, context.Release);
        if (_kind == "DaemonSet")
        {
            SetTemplateGeneration(obj, 1);
        }
    }

    public override void PrepareForUpdate(StrategyContext context, ResourceDefinition resource, JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(context, resource, obj, old);
        ApplyDefaults(obj.GetOrAddObject("spec"), context.Release);
        if (_kind == "DaemonSet")
        {
            // Clients cannot set it: it counts template changes, as kube-apiserver's daemonset strategy does.
            var previous = long.TryParse(old.Find("metadata.annotations")?[TemplateGenerationAnnotation]?.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var g) ? g : 0;
            var changed = !JsonNode.DeepEquals(obj.Find("spec.template"), old.Find("spec.template"));
            SetTemplateGeneration(obj, changed ? previous + 1 : previous);
        }
    }

    private static void SetTemplateGeneration(JsonObject obj, long generation) =>
        obj.GetOrAddObject("metadata").GetOrAddObject("annotations")[TemplateGenerationAnnotation] = generation.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void ApplyDefaults(JsonObject spec, KubernetesRelease release)
    {
        switch (_kind)
        {
            case "Deployment":
                SetIfMissing(spec, "replicas", 1);
                var strategy = spec.GetOrAddObject("strategy");
                SetIfMissing(strategy, "type", "RollingUpdate");
                if (strategy.GetString("type") == "RollingUpdate")
                {
                    var rolling = strategy.GetOrAddObject("rollingUpdate");
                    SetIfMissing(rolling, "maxUnavailable", "25%");
                    SetIfMissing(rolling, "maxSurge", "25%");
                }

                SetIfMissing(spec, "revisionHistoryLimit", 10);
                SetIfMissing(spec, "progressDeadlineSeconds", 600);
                break;
            case "ReplicaSet":
                SetIfMissing(spec, "replicas", 1);
                break;
            case "ReplicationController":
                SetIfMissing(spec, "replicas", 1);
                if (spec["selector"] is null && spec.Find("template.metadata.labels") is JsonObject labels)
                {
                    spec["selector"] = labels.DeepClone();
                }

                break;
            case "DaemonSet":
                var update = spec.GetOrAddObject("updateStrategy");
                SetIfMissing(update, "type", "RollingUpdate");
                if (update.GetString("type") == "RollingUpdate")
                {
                    var rolling = update.GetOrAddObject("rollingUpdate");
                    SetIfMissing(rolling, "maxUnavailable", 1);
                    SetIfMissing(rolling, "maxSurge", 0);
                }

                SetIfMissing(spec, "revisionHistoryLimit", 10);
                break;
            case "StatefulSet":
                SetIfMissing(spec, "replicas", 1);
                SetIfMissing(spec, "podManagementPolicy", "OrderedReady");
                var sts = spec.GetOrAddObject("updateStrategy");
                SetIfMissing(sts, "type", "RollingUpdate");
                if (sts.GetString("type") == "RollingUpdate")
                {
                    SetIfMissing(sts.GetOrAddObject("rollingUpdate"), "partition", 0);
                }

                SetIfMissing(spec, "revisionHistoryLimit", 10);
                var retention = spec.GetOrAddObject("persistentVolumeClaimRetentionPolicy");
                SetIfMissing(retention, "whenDeleted", "Retain");
                SetIfMissing(retention, "whenScaled", "Retain");
                break;
            case "Job":
                if (spec["completions"] is null && spec["parallelism"] is null)
                {
                    spec["completions"] = 1;
                }

                SetIfMissing(spec, "parallelism", 1);
                SetIfMissing(spec, "backoffLimit", 6);
                SetIfMissing(spec, "completionMode", "NonIndexed");
                SetIfMissing(spec, "suspend", false);
                if (release.Serves(29))
                {
                    // podReplacementPolicy came in 1.28 (beta, on by default, in 1.29).
                    SetIfMissing(spec, "podReplacementPolicy", "TerminatingOrFailed");
                }

                SetIfMissing(spec, "manualSelector", false);
                break;
            case "CronJob":
                SetIfMissing(spec, "concurrencyPolicy", "Allow");
                SetIfMissing(spec, "suspend", false);
                SetIfMissing(spec, "successfulJobsHistoryLimit", 3);
                SetIfMissing(spec, "failedJobsHistoryLimit", 1);
                if (spec.Find("jobTemplate.spec.template.spec") is JsonObject jobPod)
                {
                    PodDefaults.ApplyToPodSpec(jobPod);
                }

                return;
        }

        if (spec.Find("template.spec") is JsonObject podSpec)
        {
            PodDefaults.ApplyToPodSpec(podSpec);
        }
    }

    // kube-apiserver gives a Job without manualSelector a selector on its own uid and labels its pod template to match
    // (controller-uid and job-name; since 1.27 also their batch.kubernetes.io/ forms, which the selector then uses).
    private static void GenerateJobSelector(JsonObject job, JsonObject spec, KubernetesRelease release)
    {
        if (spec["manualSelector"] is JsonValue manual && manual.GetValueKind() == System.Text.Json.JsonValueKind.True)
        {
            return;
        }

        var meta = new ObjectMeta(job);
        var uid = meta.Uid ?? "";
        var name = meta.Name ?? "";
        var template = spec.GetOrAddObject("template");
        var labels = template.GetOrAddObject("metadata").GetOrAddObject("labels");
        var prefixed = release.Serves(27);
        if (prefixed)
        {
            labels["batch.kubernetes.io/controller-uid"] = uid;
            labels["batch.kubernetes.io/job-name"] = name;
        }

        labels["controller-uid"] = uid;
        labels["job-name"] = name;
        spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { [prefixed ? "batch.kubernetes.io/controller-uid" : "controller-uid"] = uid } };
    }

    private static void SetIfMissing(JsonObject obj, string name, JsonNode value)
    {
        if (obj[name] is null)
        {
            obj[name] = value;
        }
    }
}
