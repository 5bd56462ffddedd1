using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;

namespace Monokube.ApiServer.Validation;

/// <summary>
/// kube-apiserver's --allow-privileged=false: a container (or init or ephemeral container) of a pod, or of the pod
/// template of a workload, with securityContext.privileged true is refused as "disallowed by cluster policy".
/// </summary>
public static class PrivilegedContainers
{
    private static readonly string[] ContainerLists = ["initContainers", "containers", "ephemeralContainers"];

    public static void Check(ResourceDefinition resource, JsonObject obj, List<StatusCause> causes)
    {
        if (PodSpecPath(resource) is not { } path || obj.Find(path) is not JsonObject spec)
        {
            return;
        }

        foreach (var list in ContainerLists)
        {
            if (spec[list] is not JsonArray containers)
            {
                continue;
            }

            for (var i = 0; i < containers.Count; i++)
            {
                if (containers[i] is JsonObject container && container.Find("securityContext.privileged") is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.True)
                {
                    causes.Add(FieldErrors.Forbidden($"{path}.{list}[{i}].securityContext.privileged", "disallowed by cluster policy"));
                }
            }
        }
    }

    // Where the pod spec sits in the built-in types that hold one.
    private static string? PodSpecPath(ResourceDefinition resource) => (resource.Group, resource.Plural) switch
    {
        ("", "pods") => "spec",
        ("", "podtemplates") => "template.spec",
        ("", "replicationcontrollers") or ("apps", "deployments" or "replicasets" or "daemonsets" or "statefulsets") or ("batch", "jobs") => "spec.template.spec",
        ("batch", "cronjobs") => "spec.jobTemplate.spec.template.spec",
        _ => null,
    };
}
