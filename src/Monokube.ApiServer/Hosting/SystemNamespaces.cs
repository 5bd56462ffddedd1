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

    public static async Task EnsureAsync(IObjectStore store, ResourceRegistry registry, TimeProvider time, CancellationToken cancellationToken)
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

            // An existing namespace (a restart over etcd, or another server's) is left as it is.
            await store.CreateAsync(resource.Key(null, name), JsonOutput.ToBytes(obj), cancellationToken);
        }
    }
}
