using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Security.Authorization;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Hosting;

/// <summary>Creates the default RBAC objects that do not exist yet (kube-apiserver's rbac/bootstrap-roles hook).</summary>
public static class BootstrapPolicyWriter
{
    public static async Task EnsureAsync(IObjectStore store, ResourceRegistry registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var group = "rbac.authorization.k8s.io";
        await WriteAsync(store, registry.Find(group, "v1", "clusterroles")!, BootstrapPolicy.ClusterRoles, time, cancellationToken);
        await WriteAsync(store, registry.Find(group, "v1", "clusterrolebindings")!, BootstrapPolicy.ClusterRoleBindings, time, cancellationToken);
        await WriteAsync(store, registry.Find(group, "v1", "roles")!, BootstrapPolicy.Roles, time, cancellationToken);
        await WriteAsync(store, registry.Find(group, "v1", "rolebindings")!, BootstrapPolicy.RoleBindings, time, cancellationToken);
    }

    private static async Task WriteAsync(IObjectStore store, ResourceDefinition resource, IEnumerable<JsonObject> objects, TimeProvider time, CancellationToken cancellationToken)
    {
        foreach (var template in objects)
        {
            var obj = (JsonObject)template.DeepClone();
            var meta = new ObjectMeta(obj);
            meta.Uid = Guid.NewGuid().ToString();
            meta.Set("creationTimestamp", KubeTime.Format(time.GetUtcNow()));
            await store.CreateAsync(resource.Key(meta.Namespace, meta.Name!), JsonOutput.ToBytes(obj), cancellationToken);
        }
    }
}
