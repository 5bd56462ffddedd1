using System.Text.Json.Nodes;
using Monokube.ApiServer.Admission;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// RBAC's privilege-escalation prevention on writes of roles and bindings: a user may create or change a
/// (Cluster)Role only with rules it already holds (or the "escalate" verb on it), and bind a role only when it holds
/// the role's rules (or the "bind" verb on it). system:masters is exempt. Denials are 403s worded as kube words them.
/// </summary>
public sealed class RbacEscalationCheck(AuthorizerChain authorizer, RbacAuthorizer rbac) : IAdmissionPlugin
{
    private const string Group = "rbac.authorization.k8s.io";

    public async ValueTask ValidateAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Resource.Group != Group || request.Operation == AdmissionOperation.Delete || request.Subresource.Length > 0
            || request.Object is not { } obj || request.User.InGroup(UserInfo.Masters) || OnlyGarbageCollectorFieldsChanged(obj, request.OldObject))
        {
            return;
        }

        var ns = request.Namespace ?? "";
        var name = request.Name;
        switch (request.Resource.Plural)
        {
            case "roles" or "clusterroles":
                var escalate = new AuthorizationAttributes(request.User, "escalate", true, ApiGroup: Group, ApiVersion: "*", Resource: request.Resource.Plural,
                    Namespace: ns, Name: request.Operation == AdmissionOperation.Update ? name : "");
                if ((await authorizer.AuthorizeAsync(escalate, cancellationToken)).Allowed)
                {
                    return;
                }

                if (request.Resource.Plural == "clusterroles" && (HasAggregation(obj) || HasAggregation(request.OldObject)))
                {
                    var clusterAdmin = new List<PolicyRule> { PolicyRule.For(["*"], ["*"], "*"), PolicyRule.NonResource(["*"], "*") };
                    if (await UncoveredAsync(request.User, "", clusterAdmin, cancellationToken) is { Count: > 0 })
                    {
                        throw new ApiException(Statuses.Forbidden(request.Resource, name, "must have cluster-admin privileges to use the aggregationRule"));
                    }
                }

                await ConfirmNoEscalationAsync(request, ns, RulesOf(obj), cancellationToken);
                return;

            case "rolebindings" or "clusterrolebindings":
                var kind = obj.GetString("roleRef.kind") ?? "";
                var roleName = obj.GetString("roleRef.name") ?? "";
                var bind = new AuthorizationAttributes(request.User, "bind", true, ApiGroup: obj.GetString("roleRef.apiGroup") ?? "", ApiVersion: "*",
                    Resource: kind == "Role" ? "roles" : "clusterroles", Namespace: request.Resource.Plural == "rolebindings" ? ns : "", Name: roleName);
                if ((await authorizer.AuthorizeAsync(bind, cancellationToken)).Allowed)
                {
                    return;
                }

                if (kind is not ("Role" or "ClusterRole"))
                {
                    throw new ApiException(Statuses.BadRequest($"unsupported role reference kind: \"{kind}\""));
                }

                var rules = rbac.RoleReferenceRules(kind, ns, roleName);
                if (rules is null)
                {
                    await rbac.CatchUpAsync(cancellationToken);
                    rules = rbac.RoleReferenceRules(kind, ns, roleName)
                        ?? throw new ApiException(Statuses.NotFound(Group, kind == "Role" ? "roles" : "clusterroles", roleName));
                }

                await ConfirmNoEscalationAsync(request, ns, rules, cancellationToken);
                return;
        }
    }

    private async Task ConfirmNoEscalationAsync(AdmissionRequest request, string ns, IReadOnlyList<PolicyRule> rules, CancellationToken cancellationToken)
    {
        var missing = await UncoveredAsync(request.User, ns, rules, cancellationToken);
        if (missing.Count == 0)
        {
            return;
        }

        var user = request.User;
        var detail = $"user \"{user.Name}\" (groups={RuleCoverage.Quote(user.Groups)}) is attempting to grant RBAC permissions not currently held:\n{string.Join('\n', missing)}";
        throw new ApiException(Statuses.Forbidden(request.Resource, request.Name.Length > 0 ? request.Name : null, detail));
    }

    // The user's own rules (RBAC only: what its bindings grant) against the requested ones; the caches catch up
    // before anything is reported missing, so a binding made just before counts.
    private async Task<IReadOnlyList<string>> UncoveredAsync(UserInfo user, string ns, IReadOnlyList<PolicyRule> rules, CancellationToken cancellationToken)
    {
        var missing = RuleCoverage.Uncovered([.. rbac.RulesFor(user, ns)], rules);
        if (missing.Count > 0)
        {
            await rbac.CatchUpAsync(cancellationToken);
            missing = RuleCoverage.Uncovered([.. rbac.RulesFor(user, ns)], rules);
        }

        return missing;
    }

    private static List<PolicyRule> RulesOf(JsonObject role) =>
        (role["rules"] as JsonArray)?.OfType<JsonObject>().Select(PolicyRule.FromJson).ToList() ?? [];

    private static bool HasAggregation(JsonObject? role) => role?.Find("aggregationRule.clusterRoleSelectors") is JsonArray { Count: > 0 };

    // An update that touches only finalizers or owner references (the garbage collector's) is not checked.
    private static bool OnlyGarbageCollectorFieldsChanged(JsonObject obj, JsonObject? old)
    {
        if (old is null)
        {
            return false;
        }

        static JsonObject Strip(JsonObject o)
        {
            var copy = (JsonObject)o.DeepClone();
            if (copy["metadata"] is JsonObject meta)
            {
                foreach (var field in new[] { "finalizers", "ownerReferences", "resourceVersion", "managedFields", "generation" })
                {
                    meta.Remove(field);
                }
            }

            return copy;
        }

        return JsonNode.DeepEquals(Strip(obj), Strip(old));
    }
}
