using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>Namespaces as users see them: a default ServiceAccount and the root CA in each, and kubectl delete namespace finishing.</summary>
public sealed class NamespaceTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_namespace_gets_the_default_service_account_and_the_root_ca_back_when_deleted()
    {
        var ns = await cluster.NamespaceAsync();
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ServiceAccounts, ns, "default", Ct) is not null, "the default service account");
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "kube-root-ca.crt", Ct) is not null, "kube-root-ca.crt");
        var rootCa = (await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "kube-root-ca.crt", Ct))!;
        Assert.Equal(cluster.CaPem, rootCa["data"]!["ca.crt"]!.ToString());
        Assert.StartsWith("Contains a CA bundle", rootCa.Find("metadata.annotations")!["kubernetes.io/description"]!.ToString(), StringComparison.Ordinal);

        await cluster.KubectlOkAsync("delete", "serviceaccount", "default", "-n", ns);
        await cluster.KubectlOkAsync("patch", "configmap", "kube-root-ca.crt", "-n", ns, "--type=merge", "-p", "{\"data\":{\"ca.crt\":\"tampered\"}}");

        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ServiceAccounts, ns, "default", Ct) is not null, "the default service account to come back");
        await ClusterFixture.WaitAsync(async () => (await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "kube-root-ca.crt", Ct))?["data"]?["ca.crt"]?.ToString() == cluster.CaPem, "the root CA to be restored");
    }

    [Fact]
    public async Task Kubectl_delete_namespace_empties_it_and_finishes()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.25", "--replicas=2");
        await cluster.KubectlOkAsync("create", "configmap", "settings", "-n", ns, "--from-literal=a=b");
        await cluster.KubectlOkAsync("create", "secret", "generic", "creds", "-n", ns, "--from-literal=a=b");
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Count == 2, "the deployment's pods");

        // kubectl waits for the namespace to be gone.
        await cluster.KubectlOkAsync("delete", "namespace", ns, "--timeout=60s");

        Assert.Null(await cluster.Client.GetAsync(ResourceRef.Namespaces, null, ns, Ct));
        Assert.Empty((await cluster.Client.ListAsync(ResourceRef.ConfigMaps, ns, Ct))["items"]!.AsArray());
    }

    [Fact]
    public async Task A_namespace_waits_for_content_with_finalizers_and_says_so()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.Client.CreateAsync(ResourceRef.ConfigMaps, ns, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "held", ["finalizers"] = new JsonArray((JsonNode)"example.com/hold") },
        }, Ct);

        await cluster.KubectlOkAsync("delete", "namespace", ns, "--wait=false");

        await ClusterFixture.WaitAsync(
            async () => Conditions.Find(await cluster.Client.GetAsync(ResourceRef.Namespaces, null, ns, Ct), "NamespaceFinalizersRemaining")?.GetString("status") == "True",
            "the namespace to report the remaining finalizer");
        var terminating = (await cluster.Client.GetAsync(ResourceRef.Namespaces, null, ns, Ct))!;
        Assert.Equal("Terminating", terminating.GetString("status.phase"));
        Assert.Equal("Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances", Conditions.Find(terminating, "NamespaceFinalizersRemaining")!.GetString("message"));
        Assert.Equal("Some resources are remaining: configmaps. has 1 resource instances", Conditions.Find(terminating, "NamespaceContentRemaining")!.GetString("message"));

        await cluster.KubectlOkAsync("patch", "configmap", "held", "-n", ns, "--type=merge", "-p", "{\"metadata\":{\"finalizers\":null}}");
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.Namespaces, null, ns, Ct) is null, "the namespace to be deleted");
    }
}
