using System.Text.Json.Nodes;
using Monokube.ApiServer.Security.Authorization;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>Each release's default RBAC policy table: complete, consistent, and granting what the components need.</summary>
public sealed class BootstrapPolicyTests
{
    public static TheoryData<string> Releases => [.. KubernetesRelease.Supported.Select(r => r.Name)];

    private static string Name(JsonObject o) => o["metadata"]!["name"]!.ToString();

    private static BootstrapPolicy Policy(string release) => BootstrapPolicy.For(KubernetesRelease.Parse(release)!);

    [Theory]
    [MemberData(nameof(Releases))]
    public void Every_binding_refers_to_a_role_of_the_policy(string release)
    {
        var policy = Policy(release);
        var clusterRoles = policy.ClusterRoles.Select(Name).ToHashSet();
        var roles = policy.Roles.Select(r => r["metadata"]!["namespace"] + "/" + Name(r)).ToHashSet();
        foreach (var binding in policy.ClusterRoleBindings)
        {
            Assert.Contains(binding["roleRef"]!["name"]!.ToString(), clusterRoles);
        }

        foreach (var binding in policy.RoleBindings)
        {
            var target = binding["roleRef"]!["kind"]!.ToString() == "Role" ? roles : clusterRoles.Select(n => binding["metadata"]!["namespace"] + "/" + n).ToHashSet();
            Assert.Contains(binding["metadata"]!["namespace"] + "/" + binding["roleRef"]!["name"], target);
        }

        Assert.Equal(policy.ClusterRoles.Count, clusterRoles.Count);
        Assert.True(policy.ClusterRoles.Count >= 60, $"{policy.ClusterRoles.Count} cluster roles");
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
        foreach (var release in KubernetesRelease.Supported)
        {
            Grants(BootstrapPolicy.For(release), role, group, resource, verb);
        }
    }

    private static void Grants(BootstrapPolicy policy, string role, string group, string resource, string verb)
    {
        var parts = resource.Split('/');
        var attributes = new AuthorizationAttributes(new("u", null, [], new Dictionary<string, IReadOnlyList<string>>()), verb, true,
            ApiGroup: group, Resource: parts[0], Subresource: parts.Length > 1 ? parts[1] : "");
        Assert.Contains(policy.RulesOf(role), r => r.Matches(attributes));
    }

    [Theory]
    [MemberData(nameof(Releases))]
    public void The_user_facing_roles_aggregate_and_the_default_bindings_are_kubes(string release)
    {
        var policy = Policy(release);
        var admin = policy.ClusterRoles.Single(r => Name(r) == "admin");
        Assert.Equal("true", admin["aggregationRule"]!["clusterRoleSelectors"]![0]!["matchLabels"]!["rbac.authorization.k8s.io/aggregate-to-admin"]!.ToString());
        var view = policy.ClusterRoles.Single(r => Name(r) == "system:aggregate-to-view");
        Assert.Equal("true", view["metadata"]!["labels"]!["rbac.authorization.k8s.io/aggregate-to-view"]!.ToString());

        var masters = policy.ClusterRoleBindings.Single(b => Name(b) == "cluster-admin");
        Assert.Equal("""[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"system:masters"}]""", masters["subjects"]!.ToJsonString());
        var deployments = policy.ClusterRoleBindings.Single(b => Name(b) == "system:controller:deployment-controller");
        Assert.Equal("""[{"kind":"ServiceAccount","name":"deployment-controller","namespace":"kube-system"}]""", deployments["subjects"]!.ToJsonString());
        Assert.Null(policy.ClusterRoleBindings.Single(b => Name(b) == "system:node")["subjects"]);
    }
}
