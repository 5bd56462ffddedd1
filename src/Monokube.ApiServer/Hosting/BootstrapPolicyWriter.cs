using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Security.Authorization;
using Monokube.Storage;

namespace Monokube.ApiServer.Hosting;

/// <summary>Creates the served release's default RBAC objects that do not exist yet (kube-apiserver's rbac/bootstrap-roles hook).</summary>
public static class BootstrapPolicyWriter
{
    public static Task EnsureAsync(IObjectStore store, ResourceRegistry registry, KubernetesRelease release, TimeProvider time, CancellationToken cancellationToken) =>
        SystemObjectWrites.CreateMissingAsync(store, Objects(registry, release, time), cancellationToken);

    private static IEnumerable<(string Key, byte[] Value)> Objects(ResourceRegistry registry, KubernetesRelease release, TimeProvider time)
    {
        foreach (var obj in BootstrapPolicy.For(release).Objects)
        {
            var resource = registry.Find("rbac.authorization.k8s.io", "v1", obj.Plural)!;
            var key = resource.Key(obj.Namespace.Length == 0 ? null : obj.Namespace, obj.Name);
            yield return (key, obj.ToBytes(Uids.New(), KubeTime.Format(time.GetUtcNow())));
        }
    }
}
