using System.Text.Json;
using k8s;

namespace Monokube.Testing.Tests;

public sealed class ApplyTests
{
    [Fact]
    public async Task A_crd_and_its_custom_resource_apply_in_one_text()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Controllers = false }, TestContext.Current.CancellationToken);

        var applied = await cluster.ApplyAsync(Manifests.WidgetCrd + "\n" + """
            ---
            apiVersion: example.com/v1
            kind: Widget
            metadata:
              name: w1
            spec:
              colour: blue
            """, TestContext.Current.CancellationToken);

        Assert.Equal(["CustomResourceDefinition", "Widget"], applied.Select(o => o["kind"]?.ToString()));
        var crd = await cluster.WaitForCrdEstablishedAsync("widgets.example.com", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("widgets", crd["status"]?["acceptedNames"]?["plural"]?.ToString());
        var widget = (JsonElement)await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "w1", TestContext.Current.CancellationToken);
        Assert.Equal("blue", widget.GetProperty("spec").GetProperty("colour").GetString());
        Assert.Equal(1, widget.GetProperty("spec").GetProperty("size").GetInt32());
        Assert.Contains(widget.GetProperty("metadata").GetProperty("managedFields").EnumerateArray(), f => f.GetProperty("manager").GetString() == "monokube-testing");
    }

    [Fact]
    public async Task Applying_again_updates_and_takes_over_fields_of_other_managers()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Controllers = false, FieldManager = "my-tests" }, TestContext.Current.CancellationToken);
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new() { Metadata = new() { Name = "settings" }, Data = new Dictionary<string, string> { ["mode"] = "slow" } },
            "default", fieldManager: "someone-else", cancellationToken: TestContext.Current.CancellationToken);

        await cluster.ApplyAsync("{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {mode: fast}}", TestContext.Current.CancellationToken);
        var second = await cluster.ApplyAsync("{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {mode: fast, extra: 'yes'}}", TestContext.Current.CancellationToken);

        var read = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", "default", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("fast", read.Data["mode"]);
        Assert.Equal("yes", read.Data["extra"]);
        Assert.Equal(read.Metadata.ResourceVersion, second[0]["metadata"]?["resourceVersion"]?.ToString());
        Assert.Contains(read.Metadata.ManagedFields, f => f.Manager == "my-tests" && f.Operation == "Apply");
    }

    [Fact]
    public async Task Namespaces_cluster_scoped_objects_and_lists_apply_in_order()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Controllers = false }, TestContext.Current.CancellationToken);

        await cluster.ApplyAsync("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: team-a}
            ---
            # an empty document is skipped
            ---
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: ServiceAccount
              metadata: {name: robot, namespace: team-a}
            - apiVersion: rbac.authorization.k8s.io/v1
              kind: ClusterRole
              metadata: {name: reader}
              rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            """, TestContext.Current.CancellationToken);

        var account = await cluster.Client.CoreV1.ReadNamespacedServiceAccountAsync("robot", "team-a", cancellationToken: TestContext.Current.CancellationToken);
        var role = await cluster.Client.RbacAuthorizationV1.ReadClusterRoleAsync("reader", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("team-a", account.Metadata.NamespaceProperty);
        Assert.Equal("get", Assert.Single(Assert.Single(role.Rules).Verbs));
    }

    [Fact]
    public async Task A_kind_nothing_serves_fails_at_once_and_names_it()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Controllers = false }, TestContext.Current.CancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            cluster.ApplyAsync("{apiVersion: example.com/v1, kind: Gadget, metadata: {name: g}}", TestContext.Current.CancellationToken));

        Assert.Contains("Gadget in example.com/v1", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task An_object_the_server_refuses_names_the_document_and_keeps_the_status()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Controllers = false }, TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.ApplyAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: fine}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: Not_A_Name}
            """, TestContext.Current.CancellationToken));

        Assert.Contains("ConfigMap default/Not_A_Name (document 2)", error.Message, StringComparison.Ordinal);
        var status = Assert.IsType<Controllers.Client.KubeApiException>(error.InnerException);
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, status.Code);
        Assert.Equal("Invalid", status.Reason);
    }

    [Fact]
    public async Task Text_that_is_not_objects_is_a_format_error()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Controllers = false }, TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<FormatException>(() => cluster.ApplyAsync("a: [unclosed", TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<FormatException>(() => cluster.ApplyAsync("- just\n- a list\n", TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<FormatException>(() => cluster.ApplyAsync("{apiVersion: v1, kind: ConfigMap}", TestContext.Current.CancellationToken));
    }
}
