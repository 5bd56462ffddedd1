using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>Aggregated ClusterRoles carry the rules of the roles they pick, as kube-controller-manager writes them.</summary>
public sealed class ClusterRoleAggregationTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonArray> RulesAsync(string role) =>
        (await cluster.Client.GetAsync(ResourceRef.ClusterRoles, null, role, Ct))?["rules"] as JsonArray ?? [];

    private static bool Grants(JsonArray rules, string resource, string verb) =>
        rules.OfType<JsonObject>().Any(r => (r["resources"] as JsonArray)?.Any(x => x!.ToString() == resource) == true
            && (r["verbs"] as JsonArray)?.Any(x => x!.ToString() == verb) == true);

    [Fact]
    public async Task The_default_aggregated_roles_list_what_they_grant()
    {
        // view picks system:aggregate-to-view; edit picks aggregate-to-edit and is itself picked by admin.
        await ClusterFixture.WaitAsync(async () => Grants(await RulesAsync("view"), "pods", "list"), "view to list pods");
        await ClusterFixture.WaitAsync(async () => Grants(await RulesAsync("edit"), "deployments", "create"), "edit to create deployments");
        await ClusterFixture.WaitAsync(async () => Grants(await RulesAsync("admin"), "rolebindings", "create") && Grants(await RulesAsync("admin"), "deployments", "create"),
            "admin to have its own rules and edit's");

        var view = await RulesAsync("view");
        Assert.Equal(view.Count, view.Select(r => r!.ToJsonString()).Distinct().Count());
        var described = await cluster.KubectlOkAsync("describe", "clusterrole", "view");
        Assert.Contains("pods", described, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_labelled_role_adds_to_the_aggregated_role_and_leaves_with_its_label()
    {
        var name = "widgets-viewer-" + Guid.NewGuid().ToString("N")[..8];
        var resource = "widgets" + name[^8..];
        await cluster.Client.CreateAsync(ResourceRef.ClusterRoles, null, new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = new JsonObject { ["rbac.authorization.k8s.io/aggregate-to-view"] = "true" },
            },
            ["rules"] = new JsonArray(new JsonObject
            {
                ["apiGroups"] = new JsonArray("example.com"),
                ["resources"] = new JsonArray(resource),
                ["verbs"] = new JsonArray("get", "list", "watch"),
            }),
        }, Ct);

        await ClusterFixture.WaitAsync(async () => Grants(await RulesAsync("view"), resource, "list"), "view to pick the new role's rule");
        await ClusterFixture.WaitAsync(async () => Grants(await RulesAsync("admin"), resource, "list"), "admin to pick it through edit and view");

        await cluster.KubectlOkAsync("label", "clusterrole", name, "rbac.authorization.k8s.io/aggregate-to-view-");
        await ClusterFixture.WaitAsync(async () => !Grants(await RulesAsync("view"), resource, "list"), "view to drop the rule of a role no longer labelled");
    }
}
