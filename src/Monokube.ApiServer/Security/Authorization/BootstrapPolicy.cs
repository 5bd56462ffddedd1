using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// The default RBAC objects kube-apiserver's rbac/bootstrap-roles post-start hook creates — the user-facing roles
/// (cluster-admin, admin, edit, view), discovery and basic-user, the node and bootstrap roles, the control-plane
/// components' roles and every built-in controller's system:controller:* role — with their bindings, read from the
/// embedded table <c>bootstrap-policy.tsv</c> (Kubernetes 1.33 with its default feature gates).
/// </summary>
public static class BootstrapPolicy
{
    private const string Group = "rbac.authorization.k8s.io";

    private static readonly Lazy<Policy> Loaded = new(Load);

    public static IReadOnlyList<JsonObject> ClusterRoles => Loaded.Value.ClusterRoles;

    public static IReadOnlyList<JsonObject> ClusterRoleBindings => Loaded.Value.ClusterRoleBindings;

    public static IReadOnlyList<JsonObject> Roles => Loaded.Value.Roles;

    public static IReadOnlyList<JsonObject> RoleBindings => Loaded.Value.RoleBindings;

    /// <summary>The rules of a default ClusterRole (empty when there is none).</summary>
    public static IReadOnlyList<PolicyRule> RulesOf(string clusterRole) =>
        Loaded.Value.ClusterRoles.FirstOrDefault(r => r["metadata"]!["name"]!.ToString() == clusterRole)?["rules"] is JsonArray rules
            ? [.. rules.OfType<JsonObject>().Select(PolicyRule.FromJson)]
            : [];

    private sealed record Policy(List<JsonObject> ClusterRoles, List<JsonObject> ClusterRoleBindings, List<JsonObject> Roles, List<JsonObject> RoleBindings);

    private static Policy Load()
    {
        using var stream = typeof(BootstrapPolicy).Assembly.GetManifestResourceStream("bootstrap-policy.tsv")
            ?? throw new InvalidOperationException("the bootstrap policy table is not embedded in the assembly");
        using var reader = new StreamReader(stream);
        var roles = new Dictionary<(string Kind, string Ns, string Name), JsonObject>();
        var bindings = new List<JsonObject>();
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
                    var rules = (JsonArray)Role(roles, key)["rules"]!;
                    rules.Add((JsonNode)new PolicyRule(List(f[8]), [.. List(f[4]).Select(g => g == "core" ? "" : g)], List(f[5]), List(f[6]), List(f[7])).ToJson());
                    break;
                case "meta":
                    var role = Role(roles, key);
                    var labels = (JsonObject)role["metadata"]!["labels"]!;
                    foreach (var (k, v) in Pairs(f[4]))
                    {
                        labels[k] = v;
                    }

                    if (f[5].Length > 0)
                    {
                        var selectors = new JsonArray();
                        foreach (var selector in f[5].Split(" | "))
                        {
                            var matchLabels = new JsonObject();
                            foreach (var (k, v) in Pairs(selector))
                            {
                                matchLabels[k] = v;
                            }

                            selectors.Add((JsonNode)new JsonObject { ["matchLabels"] = matchLabels });
                        }

                        role["aggregationRule"] = new JsonObject { ["clusterRoleSelectors"] = selectors };
                    }

                    break;
                case "binding":
                    bindings.Add(Binding(f[1], f[2], f[3], f[4], f[5], f[6]));
                    break;
            }
        }

        var all = roles.Values.ToList();
        return new Policy(
            [.. all.Where(r => r["kind"]!.ToString() == "ClusterRole")],
            [.. bindings.Where(b => b["kind"]!.ToString() == "ClusterRoleBinding")],
            [.. all.Where(r => r["kind"]!.ToString() == "Role")],
            [.. bindings.Where(b => b["kind"]!.ToString() == "RoleBinding")]);
    }

    private static JsonObject Role(Dictionary<(string Kind, string Ns, string Name), JsonObject> roles, (string Kind, string Ns, string Name) key)
    {
        if (!roles.TryGetValue(key, out var role))
        {
            role = new JsonObject
            {
                ["apiVersion"] = Group + "/v1",
                ["kind"] = key.Kind,
                ["metadata"] = Metadata(key.Ns, key.Name),
                ["rules"] = new JsonArray(),
            };
            roles[key] = role;
        }

        return role;
    }

    private static JsonObject Binding(string kind, string ns, string name, string roleKind, string roleName, string subjects)
    {
        var binding = new JsonObject
        {
            ["apiVersion"] = Group + "/v1",
            ["kind"] = kind,
            ["metadata"] = Metadata(ns, name),
            ["roleRef"] = new JsonObject { ["apiGroup"] = Group, ["kind"] = roleKind, ["name"] = roleName },
        };
        if (subjects.Length > 0)
        {
            var list = new JsonArray();
            foreach (var subject in subjects.Split(','))
            {
                // Kind:namespace:name; names such as system:masters contain colons, so split only twice.
                var parts = subject.Split(':', 3);
                var json = new JsonObject { ["kind"] = parts[0] };
                if (parts[0] == "ServiceAccount")
                {
                    json["name"] = parts[2];
                    json["namespace"] = parts[1];
                }
                else
                {
                    json["apiGroup"] = Group;
                    json["name"] = parts[2];
                }

                list.Add((JsonNode)json);
            }

            binding["subjects"] = list;
        }

        return binding;
    }

    private static JsonObject Metadata(string ns, string name)
    {
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
        };
        if (ns.Length > 0)
        {
            metadata["namespace"] = ns;
        }

        return metadata;
    }

    private static string[] List(string text) => text.Length == 0 ? [] : text.Split(',');

    private static IEnumerable<(string Key, string Value)> Pairs(string text) =>
        List(text).Select(p => p.Split('=', 2)).Select(p => (p[0], p.Length > 1 ? p[1] : ""));
}
