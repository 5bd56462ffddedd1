using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Security.Authorization;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// Pods: spec defaults, status Pending with a QoS class on create, the field selectors kubelets and schedulers use,
/// and a spec that may change after creation only in the few fields kube-apiserver allows.
/// </summary>
public sealed class PodStrategy : ResourceStrategy
{
    public PodStrategy()
    {
        ReturnsDeletedObject = true;

        // kube's pod status strategy keeps the ownerReferences (old kubelets corrupted them through /status).
        MetadataKeptOnStatusUpdate = ["ownerReferences"];
    }

    private static readonly string[] MutableSpecFields = ["activeDeadlineSeconds", "terminationGracePeriodSeconds", "tolerations"];

    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields { get; } = new Dictionary<string, Func<JsonObject, string?>>
    {
        ["spec.nodeName"] = o => o.GetString("spec.nodeName") ?? "",
        ["spec.restartPolicy"] = o => o.GetString("spec.restartPolicy") ?? "",
        ["spec.schedulerName"] = o => o.GetString("spec.schedulerName") ?? "",
        ["spec.serviceAccountName"] = o => o.GetString("spec.serviceAccountName") ?? "",
        ["spec.hostNetwork"] = o => o.GetScalarText("spec.hostNetwork") ?? "false",
        ["status.phase"] = o => o.GetString("status.phase") ?? "",
        ["status.podIP"] = o => o.GetString("status.podIP") ?? "",
        ["status.nominatedNodeName"] = o => o.GetString("status.nominatedNodeName") ?? "",
    };

    public override void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        var spec = obj.GetOrAddObject("spec");
        PodDefaults.ApplyToPod(spec);

        // The deprecated serviceAccount names the account when serviceAccountName does not. As kube's ServiceAccount
        // admission: every pod runs as a service account ("default" unless named), except mirror pods, which a
        // kubelet makes from static manifests and which may reference no API objects.
        var mirror = obj.Find("metadata.annotations") is JsonObject annotations && annotations.ContainsKey("kubernetes.io/config.mirror");
        if (mirror && MirrorPodReference(spec) is { } forbidden)
        {
            throw new ApiException(Statuses.Forbidden(resource, obj.GetString("metadata.name"), forbidden));
        }

        if (spec.GetString("serviceAccountName") is not { Length: > 0 })
        {
            if (spec.GetString("serviceAccount") is { Length: > 0 } legacy)
            {
                spec["serviceAccountName"] = legacy;
            }
            else if (context.DefaultServiceAccount && !mirror)
            {
                spec["serviceAccountName"] = "default";
            }
        }

        spec.SetOrRemove("serviceAccount", spec["serviceAccountName"]?.DeepClone());
        if (spec["priority"] is null)
        {
            spec["priority"] = 0;
        }

        if (spec["preemptionPolicy"] is null)
        {
            spec["preemptionPolicy"] = "PreemptLowerPriority";
        }

        obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = PodDefaults.QosClass(spec) };
    }

    // kube's ServiceAccount admission for mirror pods, whoever creates them: a static pod's mirror may refer to no
    // service account, no Secret and no service-account token (a node could otherwise mint tokens through it).
    private static string? MirrorPodReference(JsonObject spec)
    {
        if (spec.GetString("serviceAccountName") is { Length: > 0 } || spec.GetString("serviceAccount") is { Length: > 0 })
        {
            return "a mirror pod may not reference service accounts";
        }

        if (NodeAuthorizer.References(new JsonObject { ["spec"] = spec.DeepClone() }, "secrets").Count > 0)
        {
            return "a mirror pod may not reference secrets";
        }

        var projectsToken = (spec["volumes"] as JsonArray ?? []).OfType<JsonObject>()
            .SelectMany(v => v.Find("projected.sources") as JsonArray ?? [])
            .OfType<JsonObject>()
            .Any(source => source["serviceAccountToken"] is JsonObject);
        return projectsToken ? "a mirror pod may not use ServiceAccountToken volume projections" : null;
    }

    public override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj.GetObject("spec");
        if (spec?["containers"] is not JsonArray { Count: > 0 })
        {
            causes.Add(FieldErrors.Required("spec.containers"));
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec[list] is not JsonArray items)
            {
                continue;
            }

            for (var i = 0; i < items.Count; i++)
            {
                var field = $"spec.{list}[{i}]";
                if (items[i] is not JsonObject container)
                {
                    continue;
                }

                var name = container.GetString("name");
                if (string.IsNullOrEmpty(name))
                {
                    causes.Add(FieldErrors.Required(field + ".name"));
                }
                else
                {
                    foreach (var problem in NameValidation.CheckDnsLabel(name))
                    {
                        causes.Add(FieldErrors.Invalid(field + ".name", name, problem));
                    }

                    if (!names.Add(name))
                    {
                        causes.Add(FieldErrors.Duplicate(field + ".name", name));
                    }
                }

                if (string.IsNullOrEmpty(container.GetString("image")) && list == "containers")
                {
                    causes.Add(FieldErrors.Required(field + ".image"));
                }
            }
        }
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<StatusCause> causes)
    {
        var spec = obj.GetObject("spec")?.DeepClone() as JsonObject ?? [];
        var oldSpec = old.GetObject("spec")?.DeepClone() as JsonObject ?? [];
        foreach (var field in MutableSpecFields)
        {
            spec.Remove(field);
            oldSpec.Remove(field);
        }

        // Images may change; everything else about containers may not.
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec[list] is JsonArray items && oldSpec[list] is JsonArray oldItems && items.Count == oldItems.Count)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    if (items[i] is JsonObject c && oldItems[i] is JsonObject oc)
                    {
                        c["image"] = oc["image"]?.DeepClone();
                    }
                }
            }
        }

        if (!JsonNode.DeepEquals(spec, oldSpec))
        {
            causes.Add(FieldErrors.Forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"));
        }
    }
}
