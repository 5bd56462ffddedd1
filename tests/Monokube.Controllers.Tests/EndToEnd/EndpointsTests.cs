using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.TestSupport;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>The kubernetes Service and the Endpoints and EndpointSlices of selector Services.</summary>
public sealed class EndpointsTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_kubernetes_service_points_at_the_apiserver()
    {
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.EndpointSlices, "default", "kubernetes", Ct) is not null, "the kubernetes service's endpoints");
        var service = (await cluster.Client.GetAsync(ResourceRef.Services, "default", "kubernetes", Ct))!;
        var port = new Uri(cluster.Url).Port;
        Assert.Equal("10.0.0.1", service.GetString("spec.clusterIP"));
        var servicePort = service.Find("spec.ports")!.AsArray().Single()!.AsObject();
        Assert.Equal("https", servicePort.GetString("name"));
        Assert.Equal(443, servicePort["port"]!.ToInt());
        Assert.Equal(port, servicePort["targetPort"]!.ToInt());

        var endpoints = (await cluster.Client.GetAsync(ResourceRef.Endpoints, "default", "kubernetes", Ct))!;
        var subset = endpoints["subsets"]!.AsArray().Single()!;
        Assert.Equal(port, subset["ports"]![0]!["port"]!.ToInt());
        Assert.False(System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(subset["addresses"]![0]!["ip"]!.ToString())));

        // Deleted, it comes back.
        await cluster.KubectlOkAsync("delete", "service", "kubernetes", "-n", "default");
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.Services, "default", "kubernetes", Ct) is not null, "the kubernetes service to come back", seconds: 30);
    }

    [Fact]
    public async Task A_selector_service_lists_its_ready_pods_on_the_named_target_port()
    {
        var ns = await cluster.NamespaceAsync();
        var node = "e-" + ns[2..];
        await cluster.NodeAsync(node);
        await using var kubelet = new FakeKubelet(cluster.Client, ns);
        var manifest = Path.Combine(Path.GetTempPath(), ns + ".yaml");
        await File.WriteAllTextAsync(manifest, """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - name: nginx
                    image: nginx:1.25
                    ports: [{name: http, containerPort: 8080}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, labels: {tier: front}}
            spec:
              selector: {app: web}
              ports: [{name: web, port: 80, targetPort: http}]
            """, Ct);
        try
        {
            await cluster.KubectlOkAsync("apply", "-n", ns, "-f", manifest);
        }
        finally
        {
            File.Delete(manifest);
        }

        await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        var pods = await cluster.PodsAsync(ns, "app=web");
        var ips = pods.Select(p => p.GetString("status.podIP")!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, ips.Count);

        await ClusterFixture.WaitAsync(async () => Addresses(await cluster.Client.GetAsync(ResourceRef.Endpoints, ns, "web", Ct)).Count == 2, "the Endpoints to list both pods");
        var endpoints = (await cluster.Client.GetAsync(ResourceRef.Endpoints, ns, "web", Ct))!;
        Assert.Equal(ips, Addresses(endpoints));
        Assert.Equal(8080, endpoints.Find("subsets")![0]!["ports"]![0]!["port"]!.ToInt());
        Assert.Equal("front", endpoints.Find("metadata.labels")!["tier"]!.ToString());

        var slices = (await cluster.Client.ListAsync(ResourceRef.EndpointSlices, ns, Ct, labelSelector: "kubernetes.io/service-name=web"))["items"]!.AsArray().OfType<JsonObject>().ToList();
        var slice = Assert.Single(slices);
        Assert.StartsWith("web-", slice.GetString("metadata.name"), StringComparison.Ordinal);
        Assert.Equal("endpointslice-controller.k8s.io", slice.Find("metadata.labels")!["endpointslice.kubernetes.io/managed-by"]!.ToString());
        Assert.Equal("Service", Owners.ControllerOf(slice)!.GetString("kind"));
        Assert.Equal(ips, slice["endpoints"]!.AsArray().Select(e => e!["addresses"]![0]!.ToString()).Order(StringComparer.Ordinal));
        Assert.All(slice["endpoints"]!.AsArray(), e => Assert.True(e!["conditions"]!["ready"]!.GetValue<bool>()));
        Assert.Equal(8080, slice["ports"]![0]!["port"]!.ToInt());
        Assert.Equal("web", slice["ports"]![0]!["name"]!.ToString());

        // kubectl shows them as kube does.
        var table = await cluster.KubectlOkAsync("get", "endpointslices", "-n", ns);
        Assert.Contains("IPv4", table, StringComparison.Ordinal);
        Assert.Contains("8080", table, StringComparison.Ordinal);

        // Scaled to one, one address; the Service deleted, its Endpoints and slices go.
        await cluster.KubectlOkAsync("scale", "deployment/web", "-n", ns, "--replicas=1");
        await ClusterFixture.WaitAsync(async () => Addresses(await cluster.Client.GetAsync(ResourceRef.Endpoints, ns, "web", Ct)).Count == 1, "the Endpoints to follow the scale-down");
        await cluster.KubectlOkAsync("delete", "service", "web", "-n", ns);
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.Endpoints, ns, "web", Ct) is null, "the Endpoints to go with the Service");
        await ClusterFixture.WaitAsync(async () => (await cluster.Client.ListAsync(ResourceRef.EndpointSlices, ns, Ct))["items"]!.AsArray().Count == 0, "the slices to go with the Service");
    }

    private static List<string> Addresses(JsonObject? endpoints) =>
        [.. (endpoints?["subsets"] as JsonArray ?? []).OfType<JsonObject>().SelectMany(s => (s["addresses"] as JsonArray ?? []).Select(a => a!["ip"]!.ToString())).Order(StringComparer.Ordinal)];
}
