namespace Monokube.Controllers.Tests.Unit;

/// <summary>--controllers as kube-controller-manager reads it: "*", "-name", aliases, and controllers off by default.</summary>
public sealed class ControllerSelectionTests
{
    [Theory]
    [InlineData("*", "replicaset-controller", true)]
    [InlineData("*", "token-cleaner-controller", false)]
    [InlineData("*", "bootstrap-signer-controller", false)]
    [InlineData("*,bootstrapsigner,tokencleaner", "bootstrap-signer-controller", true)]
    [InlineData("*,bootstrapsigner,tokencleaner", "token-cleaner-controller", true)]
    [InlineData("*,bootstrapsigner,tokencleaner", "node-ipam-controller", true)]
    [InlineData("*,-replicaset", "replicaset-controller", false)]
    [InlineData("*,-replicaset-controller", "replicaset-controller", false)]
    [InlineData("-replicaset,*", "replicaset-controller", false)]
    [InlineData("replicaset,-replicaset", "replicaset-controller", true)]
    [InlineData("deployment", "replicaset-controller", false)]
    [InlineData("", "replicaset-controller", false)]
    public void The_first_entry_naming_a_controller_decides_and_star_leaves_the_disabled_by_default_off(string flag, string controller, bool enabled)
    {
        var options = new ControllerOptions { Enabled = flag.Split(',', StringSplitOptions.RemoveEmptyEntries) };
        Assert.Equal(enabled, options.IsEnabled(controller));
    }

    [Fact]
    public void Every_controller_has_a_canonical_name_an_alias_and_a_service_account_with_a_bootstrap_role()
    {
        Assert.Equal(["bootstrap-signer-controller", "token-cleaner-controller"], BuiltinControllers.DisabledByDefault);
        foreach (var controller in BuiltinControllers.All)
        {
            Assert.Equal(controller.Name, BuiltinControllers.Canonical(controller.Alias));
            Assert.Equal(controller.Name, BuiltinControllers.Canonical(controller.Name));
        }

        // Under every release monokube serves, the controllers' accounts are bound (kube's policy for that release).
        foreach (var release in ApiServer.KubernetesRelease.Supported)
        {
            var policy = ApiServer.Security.Authorization.BootstrapPolicy.For(release);
            var roles = policy.ClusterRoleBindings.Concat(policy.RoleBindings)
                .SelectMany(b => (b["subjects"] as System.Text.Json.Nodes.JsonArray ?? []).OfType<System.Text.Json.Nodes.JsonObject>())
                .Where(s => s["kind"]?.ToString() == "ServiceAccount" && s["namespace"]?.ToString() == "kube-system")
                .Select(s => s["name"]!.ToString())
                .ToHashSet();

            // The token controller acts as the component itself (it must work before any service account token does).
            foreach (var controller in BuiltinControllers.All.Where(c => c.ServiceAccount.Length > 0))
            {
                Assert.True(roles.Contains(controller.ServiceAccount), $"{controller.Name} acts as kube-system/{controller.ServiceAccount}, which no {release} bootstrap binding names");
            }
        }
    }
}
