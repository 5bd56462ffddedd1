using System.Text.Json.Nodes;
using Monokube.ApiServer.Security.Authorization;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>The default RBAC policy table: complete, consistent, and granting what the components need.</summary>
public sealed class BootstrapPolicyTests
{
    private static string Name(JsonObject o) => o["metadata"]!["name"]!.ToString();

    [Fact]
    public void Every_binding_refers_to_a_role_of_the_policy()
    {
        var clusterRoles = BootstrapPolicy.ClusterRoles.Select(Name).ToHashSet();
        var roles = BootstrapPolicy.Roles.Select(r => r["metadata"]!["namespace"] + "/" + Name(r)).ToHashSet();
        foreach (var binding in BootstrapPolicy.ClusterRoleBindings)
        {
            Assert.Contains(binding["roleRef"]!["name"]!.ToString(), clusterRoles);
        }

        foreach (var binding in BootstrapPolicy.RoleBindings)
        {
            var target = binding["roleRef"]!["kind"]!.ToString() == "Role" ? roles : clusterRoles.Select(n => binding["metadata"]!["namespace"] + "/" + n).ToHashSet();
            Assert.Contains(binding["metadata"]!["namespace"] + "/" + binding["roleRef"]!["name"], target);
        }

        Assert.Equal(BootstrapPolicy.ClusterRoles.Count, clusterRoles.Count);
        Assert.True(BootstrapPolicy.ClusterRoles.Count >= 60, $"{BootstrapPolicy.ClusterRoles.Count} cluster roles");
    }

    [Theory]
    [InlineData("system:controller:deployment-controller", "apps", "replicasets", "create")]
    [InlineData("system:controller:daemon-set-controller", "", "pods/binding", "create")]
    [InlineData("system:controller:generic-garbage-collector", "*", "*", "delete")]
    [InlineData("system:controller:certificate-controller", "certificates.k8s.io", "certificatesigningrequests/approval", "update")]
    [InlineData("system:kube-scheduler", "", "bindings", "create")]
    [InlineData("system:node-bootstrapper", "certificates.k8s.io", "certificatesigningrequests", "create")]
    [InlineData("cluster-admin", "anything.example.com", "widgets", "delete")]
    public void Roles_grant_what_their_component_does(string role, string group, string resource, string verb)
    {
        var parts = resource.Split('/');
        var attributes = new AuthorizationAttributes(new("u", null, [], new Dictionary<string, IReadOnlyList<string>>()), verb, true,
            ApiGroup: group, Resource: parts[0], Subresource: parts.Length > 1 ? parts[1] : "");
        Assert.Contains(BootstrapPolicy.RulesOf(role), r => r.Matches(attributes));
    }

    [Fact]
    public void The_user_facing_roles_aggregate_and_the_default_bindings_are_kubes()
    {
        var admin = BootstrapPolicy.ClusterRoles.Single(r => Name(r) == "admin");
        Assert.Equal("true", admin["aggregationRule"]!["clusterRoleSelectors"]![0]!["matchLabels"]!["rbac.authorization.k8s.io/aggregate-to-admin"]!.ToString());
        var view = BootstrapPolicy.ClusterRoles.Single(r => Name(r) == "system:aggregate-to-view");
        Assert.Equal("true", view["metadata"]!["labels"]!["rbac.authorization.k8s.io/aggregate-to-view"]!.ToString());

        var masters = BootstrapPolicy.ClusterRoleBindings.Single(b => Name(b) == "cluster-admin");
        Assert.Equal("""[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"system:masters"}]""", masters["subjects"]!.ToJsonString());
        var deployments = BootstrapPolicy.ClusterRoleBindings.Single(b => Name(b) == "system:controller:deployment-controller");
        Assert.Equal("""[{"kind":"ServiceAccount","name":"deployment-controller","namespace":"kube-system"}]""", deployments["subjects"]!.ToJsonString());
        Assert.Null(BootstrapPolicy.ClusterRoleBindings.Single(b => Name(b) == "system:node")["subjects"]);
    }
}
