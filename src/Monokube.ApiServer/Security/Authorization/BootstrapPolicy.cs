using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// The default RBAC objects kube-apiserver's rbac/bootstrap-roles post-start hook creates — the user-facing roles
/// (cluster-admin, admin, edit, view), discovery and basic-user, the node and bootstrap roles, the control-plane
/// components' roles and every built-in controller's system:controller:* role — with their bindings, for each
/// <see cref="KubernetesRelease"/>, read from its embedded table <c>bootstrap-policy-1.NN.tsv</c> (that release with
/// its default feature gates; 1.26's is the real kube-apiserver v1.26.1's, checked against it by a test).
/// </summary>
public sealed class BootstrapPolicy
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<KubernetesRelease, BootstrapPolicy> Loaded = new();

    private BootstrapPolicy(IReadOnlyList<BootstrapObject> objects)
    {
        Objects = objects;
    }

    /// <summary>The policy of the release monokube serves unless told otherwise.</summary>
    public static BootstrapPolicy Default => For(KubernetesRelease.Default);

    public static BootstrapPolicy For(KubernetesRelease release) => Loaded.GetOrAdd(release, r => new BootstrapPolicy(Load(r.PolicyTable)));

    /// <summary>Every object, in the order the hook writes them: ClusterRoles, ClusterRoleBindings, Roles, RoleBindings.</summary>
    public IReadOnlyList<BootstrapObject> Objects { get; }

    public IReadOnlyList<JsonObject> ClusterRoles => Of("ClusterRole");

    public IReadOnlyList<JsonObject> ClusterRoleBindings => Of("ClusterRoleBinding");

    public IReadOnlyList<JsonObject> Roles => Of("Role");

    public IReadOnlyList<JsonObject> RoleBindings => Of("RoleBinding");

    /// <summary>The rules of a default ClusterRole (empty when there is none).</summary>
    public IReadOnlyList<PolicyRule> RulesOf(string clusterRole) =>
        Objects.FirstOrDefault(o => o.Kind == "ClusterRole" && o.Name == clusterRole)?.Rules ?? [];

    private JsonObject[] Of(string kind) => [.. Objects.Where(o => o.Kind == kind).Select(o => o.ToJson())];

    private static List<BootstrapObject> Load(string table)
    {
        using var stream = typeof(BootstrapPolicy).Assembly.GetManifestResourceStream(table)
            ?? throw new InvalidOperationException($"the bootstrap policy table {table} is not embedded in the assembly");
        using var reader = new StreamReader(stream);
        var roles = new Dictionary<(string Kind, string Ns, string Name), BootstrapObject>();
        var bindings = new List<BootstrapObject>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var f = line.Split('\t');
            var key = (f[1], f[2], f[3]);
            switch (f[0])
            {
                case "rule":
                    Role(roles, key).Rules.Add(new PolicyRule(List(f[8]), [.. List(f[4]).Select(g => g == "core" ? "" : g)], List(f[5]), List(f[6]), List(f[7])));
                    break;
                case "meta":
                    var role = Role(roles, key);
                    foreach (var (k, v) in Pairs(f[4]))
                    {
                        role.SetLabel(k, v);
                    }

                    if (f[5].Length > 0)
                    {
                        role.AggregationSelectors.AddRange(f[5].Split(" | ").Select(selector => (IReadOnlyList<(string, string)>)[.. Pairs(selector)]));
                    }

                    break;
                case "binding":
                    bindings.Add(BootstrapObject.Binding(f[1], f[2], f[3], f[4], f[5], [.. List(f[6]).Select(Subject)]));
                    break;
            }
        }

        // Written in kube's hook order: cluster roles, cluster role bindings, roles, role bindings.
        return
        [
            .. roles.Values.Where(r => r.Kind == "ClusterRole"),
            .. bindings.Where(b => b.Kind == "ClusterRoleBinding"),
            .. roles.Values.Where(r => r.Kind == "Role"),
            .. bindings.Where(b => b.Kind == "RoleBinding"),
        ];
    }

    private static BootstrapObject Role(Dictionary<(string Kind, string Ns, string Name), BootstrapObject> roles, (string Kind, string Ns, string Name) key)
    {
        if (!roles.TryGetValue(key, out var role))
        {
            role = BootstrapObject.Role(key.Kind, key.Ns, key.Name);
            roles[key] = role;
        }

        return role;
    }

    // Kind:namespace:name; names such as system:masters contain colons, so split only twice.
    private static (string Kind, string Namespace, string Name) Subject(string text)
    {
        var parts = text.Split(':', 3);
        return (parts[0], parts[1], parts[2]);
    }

    private static string[] List(string text) => text.Length == 0 ? [] : text.Split(',');

    private static IEnumerable<(string Key, string Value)> Pairs(string text) =>
        List(text).Select(p => p.Split('=', 2)).Select(p => (p[0], p.Length > 1 ? p[1] : ""));
}
