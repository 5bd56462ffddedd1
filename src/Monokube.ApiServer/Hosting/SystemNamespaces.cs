using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Hosting;

/// <summary>The namespaces kube-apiserver creates at start: default, kube-system, kube-public, kube-node-lease.</summary>
public static class SystemNamespaces
{
    public static readonly string[] Names = ["default", "kube-system", "kube-public", "kube-node-lease"];

    /// <summary>Creates those that do not exist; an existing namespace (a restart over etcd, or another server's) is left as it is.</summary>
    public static Task EnsureAsync(IObjectStore store, ResourceRegistry registry, TimeProvider time, CancellationToken cancellationToken) =>
        SystemObjectWrites.CreateMissingAsync(store, Objects(registry, time), cancellationToken);

    private static IEnumerable<(string Key, byte[] Value)> Objects(ResourceRegistry registry, TimeProvider time)
    {
        var resource = registry.Find("", "v1", "namespaces")!;
        foreach (var name in Names)
        {
            var obj = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["creationTimestamp"] = KubeTime.Format(time.GetUtcNow()),
                },
            };
            resource.Strategy.PrepareForCreate(new StrategyContext(time), resource, obj);
            yield return (resource.Key(null, name), JsonOutput.ToBytes(obj));
        }
    }
}
