using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Objects;
using Monokube.Storage;
using Monokube.Storage.Memory;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// A CRD's Established condition and its serving: a client that sees Established (a watch, kubectl wait, a test
/// library's wait) must find the custom resource on every path at once.
/// </summary>
public sealed class CrdEstablishedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_custom_resource_is_served_when_established_is_written()
    {
        // The store looks at the moment each CRD write lands: if it says Established, the server must already serve
        // the resource. The check runs inside the write, so the order is tested every time, not by chance.
        await using var store = new EstablishedProbeStore(new MemoryObjectStore());
        await using var server = await Hosting.ApiServer.StartAsync(new ApiServerOptions { BindAddress = IPAddress.Loopback, Port = 0, InsecureHttp = true }, store, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = server.Url };
        store.Http = http;

        const int crds = 5;
        var groups = Enumerable.Range(0, crds).Select(i => $"g{i}{Guid.NewGuid():N}"[..12] + ".example.com").ToList();
        await Task.WhenAll(groups.Select(async group =>
        {
            var crd = $$"""
                {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"backups.{{group}}"},
                 "spec":{"group":"{{group}}","scope":"Namespaced","names":{"plural":"backups","kind":"Backup"},
                  "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true} } }] } }
                """;
            using var response = await http.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", new StringContent(crd, Encoding.UTF8, "application/json"), Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }));

        await Eventually.WaitAsync(() => Task.FromResult(store.EstablishedWrites >= crds), TimeSpan.FromSeconds(30), "every CRD to be written Established");
        Assert.Empty(store.NotServedWhenEstablished);
    }

    // A store that, after each CRD write carrying Established=True, asks the server for the custom resource's list.
    private sealed class EstablishedProbeStore(IObjectStore inner) : IObjectStore
    {
        private const string CrdPrefix = "/apiextensions.k8s.io/customresourcedefinitions/";
        private int _establishedWrites;

        public HttpClient? Http { get; set; }

        public int EstablishedWrites => Volatile.Read(ref _establishedWrites);

        public System.Collections.Concurrent.ConcurrentBag<string> NotServedWhenEstablished { get; } = [];

        public string Name => inner.Name;

        public async ValueTask<StoreResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, Preconditions preconditions, CancellationToken cancellationToken = default)
        {
            var result = await inner.UpdateAsync(key, value, preconditions, cancellationToken);
            if (result.IsOk && key.StartsWith(CrdPrefix, StringComparison.Ordinal) && Http is not null
                && JsonNode.Parse(value.Span) is JsonObject crd
                && (crd.Find("status.conditions") as JsonArray ?? []).OfType<JsonObject>().Any(c => c.GetString("type") == "Established" && c.GetString("status") == "True"))
            {
                var path = $"/apis/{crd.GetString("spec.group")}/v1/{crd.GetString("spec.names.plural")}";
                using var response = await Http.GetAsync(path, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    NotServedWhenEstablished.Add($"{path}: {(int)response.StatusCode}");
                }

                Interlocked.Increment(ref _establishedWrites);
            }

            return result;
        }

        public ValueTask<StoreResult> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

        public ValueTask<ListResult> ListAsync(ListRequest request, CancellationToken cancellationToken = default) => inner.ListAsync(request, cancellationToken);

        public ValueTask<StoreResult> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) => inner.CreateAsync(key, value, cancellationToken);

        public ValueTask<StoreResult> DeleteAsync(string key, Preconditions preconditions, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, preconditions, cancellationToken);

        public ValueTask<WatchStartResult> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken = default) => inner.WatchAsync(prefix, afterRevision, cancellationToken);

        public ValueTask<WatchStartResult> WatchAsync(string prefix, long afterRevision, Func<StoreEvent, bool>? filter, CancellationToken cancellationToken = default) =>
            inner.WatchAsync(prefix, afterRevision, filter, cancellationToken);

        public ValueTask<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCurrentRevisionAsync(cancellationToken);

        public ValueTask<StoreResult> CompactAsync(long revision, CancellationToken cancellationToken = default) => inner.CompactAsync(revision, cancellationToken);

        public ValueTask CheckHealthAsync(CancellationToken cancellationToken = default) => inner.CheckHealthAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
