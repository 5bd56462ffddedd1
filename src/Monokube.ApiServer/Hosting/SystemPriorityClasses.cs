using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Hosting;

/// <summary>
/// The PriorityClasses kube-apiserver's scheduling/bootstrap-system-priority-classes hook creates, which the
/// control-plane manifests name (system-cluster-critical, system-node-critical); an existing one is left as it is.
/// </summary>
public static class SystemPriorityClasses
{
    private static readonly (string Name, int Value, string Description)[] Classes =
    [
        ("system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    public static Task EnsureAsync(IObjectStore store, ResourceRegistry registry, TimeProvider time, CancellationToken cancellationToken) =>
        SystemObjectWrites.CreateMissingAsync(store, Objects(registry, time), cancellationToken);

    private static IEnumerable<(string Key, byte[] Value)> Objects(ResourceRegistry registry, TimeProvider time)
    {
        var resource = registry.Find("scheduling.k8s.io", "v1", "priorityclasses")!;
        foreach (var (name, value, description) in Classes)
        {
            var obj = new JsonObject
            {
                ["apiVersion"] = "scheduling.k8s.io/v1",
                ["kind"] = "PriorityClass",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["generation"] = 1,
                    ["creationTimestamp"] = KubeTime.Format(time.GetUtcNow()),
                },
                ["value"] = value,
                ["description"] = description,
                ["preemptionPolicy"] = "PreemptLowerPriority",
            };
            yield return (resource.Key(null, name), JsonOutput.ToBytes(obj));
        }
    }
}
