using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Rbac;

/// <summary>
/// kube-controller-manager's clusterrole-aggregation controller: a ClusterRole with an aggregationRule gets, as its
/// rules, the rules of the other ClusterRoles its selectors pick (in name order, each rule once), so that
/// <c>kubectl get clusterrole admin -o yaml</c> shows what admin grants. The authorizer resolves aggregation on its
/// own as well; this keeps the objects as kube has them.
/// </summary>
public sealed class ClusterRoleAggregationController : Controller
{
    private readonly Informer _roles;

    public ClusterRoleAggregationController(ControllerContext context)
        : base("clusterrole-aggregation-controller", context)
    {
        // Any role's change may change what an aggregated role picks: every aggregated role is looked at again.
        _roles = Context.Informers.For(ResourceRef.ClusterRoles);
        Subscribe(_roles, _ =>
        {
            foreach (var (key, role) in _roles.Items)
            {
                if (role.Find("aggregationRule.clusterRoleSelectors") is JsonArray { Count: > 0 })
                {
                    Queue.Add(key);
                }
            }
        });
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_roles.Get(key) is not { } role || Selectors(role) is not { Count: > 0 } selectors)
        {
            return;
        }

        var rules = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, other) in _roles.Items.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var labels = new ObjectMeta(other).Labels;
            if (name == key || !selectors.Any(s => s.Matches(labels)))
            {
                continue;
            }

            foreach (var rule in (other["rules"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                if (seen.Add(rule.ToJsonString()))
                {
                    rules.Add((JsonNode)rule.DeepClone());
                }
            }
        }

        if (JsonNode.DeepEquals(rules, role["rules"] ?? new JsonArray()))
        {
            return;
        }

        try
        {
            await Client.PatchAsync(ResourceRef.ClusterRoles, null, key, "application/merge-patch+json", new JsonObject { ["rules"] = rules }, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
        }
    }

    private static List<LabelSelector> Selectors(JsonObject role) =>
        [.. (role.Find("aggregationRule.clusterRoleSelectors") as JsonArray)?.OfType<JsonObject>().Select(LabelSelector.FromObject) ?? []];
}
