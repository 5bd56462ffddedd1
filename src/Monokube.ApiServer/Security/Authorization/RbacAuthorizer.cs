using System.Text.Json.Nodes;
using Monokube.ApiServer.Caching;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// The RBAC authorizer: a request is allowed when a rule of a (Cluster)Role bound to the user, one of its groups or
/// its service account matches it. An aggregated ClusterRole grants the rules stored in it (the
/// clusterrole-aggregation controller writes them there), as kube's authorizer reads it.
/// Reads the RBAC objects from in-server caches; before a denial it lets the caches catch up with the store, so a
/// binding created just before a request is honoured.
/// </summary>
public sealed class RbacAuthorizer(StoreInformer clusterRoles, StoreInformer clusterRoleBindings, StoreInformer roles, StoreInformer roleBindings) : IAuthorizer
{
    public async ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        if (Allows(attributes))
        {
            return (AuthorizationDecision.Allow, "");
        }

        await CatchUpAsync(cancellationToken);
        return Allows(attributes) ? (AuthorizationDecision.Allow, "") : (AuthorizationDecision.NoOpinion, "");
    }

    /// <summary>Lets the caches see every RBAC write the store has acknowledged.</summary>
    public Task CatchUpAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(clusterRoles.CatchUpAsync(cancellationToken), clusterRoleBindings.CatchUpAsync(cancellationToken), roles.CatchUpAsync(cancellationToken), roleBindings.CatchUpAsync(cancellationToken));

    /// <summary>The rules a binding's roleRef grants, or null when the role does not exist.</summary>
    public IReadOnlyList<PolicyRule>? RoleReferenceRules(string kind, string ns, string name)
    {
        if (kind == "ClusterRole")
        {
            return clusterRoles.Items.ContainsKey("/clusterroles/" + name) ? ClusterRoleRules(name).ToList() : null;
        }

        return roles.Items.TryGetValue($"/roles/{ns}/{name}", out var role) ? Rules(role).ToList() : null;
    }

    public bool Allows(AuthorizationAttributes attributes) =>
        RulesFor(attributes.User, attributes.IsResourceRequest ? attributes.Namespace : "").Any(r => r.Matches(attributes));

    /// <summary>Every rule that applies to the user: cluster-wide, plus those of the namespace's RoleBindings.</summary>
    public IEnumerable<PolicyRule> RulesFor(UserInfo user, string ns)
    {
        foreach (var (_, binding) in clusterRoleBindings.Items)
        {
            if (Binds(binding, user, ""))
            {
                foreach (var rule in ClusterRoleRules(binding.GetString("roleRef.name") ?? ""))
                {
                    yield return rule;
                }
            }
        }

        if (ns.Length == 0)
        {
            yield break;
        }

        foreach (var (key, binding) in roleBindings.Items)
        {
            if (!key.StartsWith("/rolebindings/" + ns + "/", StringComparison.Ordinal) || !Binds(binding, user, ns))
            {
                continue;
            }

            var roleName = binding.GetString("roleRef.name") ?? "";
            var rules = binding.GetString("roleRef.kind") == "ClusterRole"
                ? ClusterRoleRules(roleName)
                : roles.Items.TryGetValue($"/roles/{ns}/{roleName}", out var role) ? Rules(role) : [];
            foreach (var rule in rules)
            {
                yield return rule;
            }
        }
    }

    // A ClusterRole's stored rules, as kube's authorizer reads them: an aggregated role grants what the
    // clusterrole-aggregation controller has written into it, and nothing while no controller has.
    private IEnumerable<PolicyRule> ClusterRoleRules(string name) =>
        clusterRoles.Items.TryGetValue("/clusterroles/" + name, out var role) ? Rules(role) : [];

    private static IEnumerable<PolicyRule> Rules(JsonObject role) =>
        (role["rules"] as JsonArray)?.OfType<JsonObject>().Select(PolicyRule.FromJson) ?? [];

    private static bool Binds(JsonObject binding, UserInfo user, string bindingNamespace)
    {
        if (binding["subjects"] is not JsonArray subjects)
        {
            return false;
        }

        foreach (var subject in subjects.OfType<JsonObject>())
        {
            var name = subject.GetString("name") ?? "";
            switch (subject.GetString("kind"))
            {
                case "User" when name == user.Name:
                    return true;
                case "Group" when user.InGroup(name):
                    return true;
                case "ServiceAccount":
                    var ns = subject.GetString("namespace") is { Length: > 0 } n ? n : bindingNamespace;
                    if (user.Name == $"system:serviceaccount:{ns}:{name}")
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }
}
