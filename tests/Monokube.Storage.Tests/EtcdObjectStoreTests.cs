using System.Text;
using System.Text.Json.Nodes;
using Monokube.Storage.Etcd;
using Monokube.TestSupport;

namespace Monokube.Storage.Tests;

/// <summary>What only the etcd store has: kube-apiserver's layout on disk, TLS, several endpoints, and outages.</summary>
public sealed class EtcdObjectStoreTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Keys_and_values_are_kube_apiservers_layout_as_etcdctl_sees_them()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        await using var store = new EtcdObjectStore(new EtcdOptions { Endpoints = [new Uri(etcd.ClientUrl)] });

        var json = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"layout","namespace":"default","resourceVersion":"7","uid":"u1"},"data":{"k":"v"}}""";
        var created = await store.CreateAsync("/configmaps/default/layout", Encoding.UTF8.GetBytes(json), Token);
        Assert.Equal(StoreStatus.Ok, created.Status);

        var (code, value) = await etcd.EtcdctlAsync("get", "/registry/configmaps/default/layout", "--print-value-only");
        Assert.Equal(0, code);
        Assert.Equal("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"layout","namespace":"default","uid":"u1"},"data":{"k":"v"}}""", value.Trim());

        var (_, described) = await etcd.EtcdctlAsync("get", "/registry/configmaps/default/layout", "-w", "json");
        var kv = JsonNode.Parse(described)!["kvs"]![0]!;
        Assert.Equal(created.Object!.ModRevision, kv["mod_revision"]!.GetValue<long>());

        // An object written by another kube-apiserver (here etcdctl) is read back with its mod revision.
        Assert.Equal(0, (await etcd.EtcdctlAsync("put", "/registry/configmaps/default/foreign", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"foreign"}}""")).ExitCode);
        var foreign = await store.GetAsync("/configmaps/default/foreign", Token);
        Assert.Equal(StoreStatus.Ok, foreign.Status);
        Assert.Equal(foreign.Revision, foreign.Object!.ModRevision);

        var list = await store.ListAsync(new ListRequest("/configmaps/default/"), Token);
        Assert.Equal(["/configmaps/default/foreign", "/configmaps/default/layout"], list.Items.Select(i => i.Key));
    }

    [Fact]
    public async Task A_custom_prefix_is_honoured()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        await using var store = new EtcdObjectStore(new EtcdOptions { Endpoints = [new Uri(etcd.ClientUrl)], Prefix = "/other/" });
        await store.CreateAsync("/leases/kube-system/x", Objects.ConfigMap("x"), Token);

        Assert.Contains("\"name\":\"x\"", (await etcd.EtcdctlAsync("get", "/other/leases/kube-system/x", "--print-value-only")).Output, StringComparison.Ordinal);
        Assert.Equal("", (await etcd.EtcdctlAsync("get", "/registry/leases/kube-system/x", "--print-value-only")).Output.Trim());
    }

    [Fact]
    public async Task Killed_and_restarted_etcd_mid_watch_loses_no_acknowledged_write_and_the_watch_resumes_without_a_gap()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        await using var store = new EtcdObjectStore(new EtcdOptions { Endpoints = [new Uri(etcd.ClientUrl)], RequestTimeout = TimeSpan.FromSeconds(2) });
        const string Prefix = "/configmaps/restart/";

        var start = await store.GetCurrentRevisionAsync(Token);
        var started = await store.WatchAsync(Prefix, start, Token);
        await using var watch = started.Watch!;

        var acknowledged = new List<(string Key, long Revision)>();
        for (var i = 0; i < 10; i++)
        {
            var result = await store.CreateAsync($"{Prefix}before-{i}", Objects.ConfigMap($"before-{i}"), Token);
            acknowledged.Add((result.Object!.Key, result.Revision));
        }

        var seenBeforeKill = await WatchReader.ReadAsync(watch, 5);
        await etcd.KillAsync();

        // While etcd is down, a write fails loudly instead of hanging or being reported as done.
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.CreateAsync("/configmaps/elsewhere/during", Objects.ConfigMap("during"), Token));

        await etcd.RestartAsync();
        for (var i = 0; i < 10; i++)
        {
            var result = await Eventually.WaitAsync(
                async () =>
                {
                    var r = await store.CreateAsync($"{Prefix}after-{i}", Objects.ConfigMap($"after-{i}"), Token);
                    return (r.Status == StoreStatus.Ok, r);
                },
                TimeSpan.FromSeconds(30),
                "a write to the restarted etcd");
            acknowledged.Add((result.Object!.Key, result.Revision));
        }

        var seenAfterKill = await WatchReader.ReadAsync(watch, acknowledged.Count - seenBeforeKill.Count, TimeSpan.FromSeconds(30));
        var all = seenBeforeKill.Concat(seenAfterKill).ToList();
        Assert.DoesNotContain(all, e => e.Type == StoreEventType.Expired);
        Assert.Equal(acknowledged, all.Select(e => (e.Key, e.Revision)));

        foreach (var (key, revision) in acknowledged)
        {
            var read = await store.GetAsync(key, Token);
            Assert.Equal(StoreStatus.Ok, read.Status);
            Assert.Equal(revision, read.Object!.ModRevision);
        }
    }

    [Fact]
    public async Task An_unreachable_etcd_is_reported_as_unavailable_within_the_request_timeout()
    {
        var port = FreePort.Next();
        await using var store = new EtcdObjectStore(new EtcdOptions { Endpoints = [new Uri($"http://127.0.0.1:{port}")], RequestTimeout = TimeSpan.FromSeconds(1) });
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.GetAsync("/configmaps/default/x", Token));
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Several_endpoints_are_used_and_a_dead_one_is_skipped()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        var dead = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var store = new EtcdObjectStore(new EtcdOptions { Endpoints = [dead, new Uri(etcd.ClientUrl)] });

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(StoreStatus.Ok, (await store.CreateAsync($"/configmaps/multi/x{i}", Objects.ConfigMap($"x{i}"), Token)).Status);
        }

        Assert.Equal(10, (await store.ListAsync(new ListRequest("/configmaps/multi/"), Token)).Items.Count);
    }

    [Fact]
    public async Task Tls_etcd_with_client_certificates_works_and_a_foreign_client_certificate_is_refused()
    {
        using var tls = EtcdTls.Create();
        await using var etcd = await EtcdProcess.StartAsync(tls);
        await using var store = new EtcdObjectStore(new EtcdOptions
        {
            Endpoints = [new Uri(etcd.ClientUrl)],
            CaFile = tls.CaFile,
            CertFile = tls.ClientCertFile,
            KeyFile = tls.ClientKeyFile,
        });

        Assert.Equal(StoreStatus.Ok, (await store.CreateAsync("/secrets/default/s", Objects.ConfigMap("s"), Token)).Status);
        var started = await store.WatchAsync("/secrets/", 0, Token);
        await using (started.Watch!)
        {
            await store.UpdateAsync("/secrets/default/s", Objects.ConfigMap("s", value: "2"), Preconditions.None, Token);
            Assert.Single(await WatchReader.ReadAsync(started.Watch!, 1));
        }

        await using var intruder = new EtcdObjectStore(new EtcdOptions
        {
            Endpoints = [new Uri(etcd.ClientUrl)],
            CaFile = tls.CaFile,
            CertFile = tls.OtherClientCertFile,
            KeyFile = tls.OtherClientKeyFile,
            RequestTimeout = TimeSpan.FromSeconds(2),
        });
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await intruder.GetAsync("/secrets/default/s", Token));

        await using var wrongCa = new EtcdObjectStore(new EtcdOptions
        {
            Endpoints = [new Uri(etcd.ClientUrl)],
            CaFile = tls.OtherCaFile,
            CertFile = tls.ClientCertFile,
            KeyFile = tls.ClientKeyFile,
            RequestTimeout = TimeSpan.FromSeconds(2),
        });
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await wrongCa.GetAsync("/secrets/default/s", Token));
    }

    [Fact]
    public void Etcd_servers_are_parsed_as_kube_apiserver_does()
    {
        Assert.Equal([new Uri("http://127.0.0.1:2379"), new Uri("http://10.0.0.2:2379")], EtcdOptions.ParseEndpoints("http://127.0.0.1:2379, http://10.0.0.2:2379"));
        Assert.Throws<FormatException>(() => EtcdOptions.ParseEndpoints(""));
        Assert.Throws<FormatException>(() => EtcdOptions.ParseEndpoints("ftp://x:1"));
        Assert.Throws<FormatException>(() => EtcdOptions.ParseEndpoints("http://a:1,https://b:2"));
    }
}
