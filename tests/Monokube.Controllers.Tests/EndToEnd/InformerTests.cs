using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>
/// An informer shared by several handlers: one that subscribes after the first list hears what is cached as
/// added (as client-go's handlers do), and a disposed subscription hears nothing more. The cache keeps objects
/// without their managedFields, as kube-controller-manager's informers do.
/// </summary>
public sealed class InformerTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_late_subscriber_hears_what_is_cached_then_every_change_until_it_unsubscribes()
    {
        var ns = await cluster.NamespaceAsync();
        await CreateAsync(ns, "one");
        await CreateAsync(ns, "two");
        await using var informers = new InformerFactory(cluster.Client, TimeProvider.System, NullLoggerFactory.Instance);
        var informer = informers.For(ResourceRef.ConfigMaps, $"metadata.namespace={ns},metadata.name!=kube-root-ca.crt");
        var early = new ConcurrentQueue<string>();
        using var first = informer.Subscribe(e => early.Enqueue($"{e.Type} {e.Key}"));
        await informers.StartAndSyncAsync(Ct);
        Assert.Equal([$"Added {ns}/one", $"Added {ns}/two"], early.Order());

        // Subscribing to the synced informer replays its objects to the new handler only, before returning.
        var late = new ConcurrentQueue<string>();
        var second = informer.Subscribe(e => late.Enqueue($"{e.Type} {e.Key}"));
        Assert.Equal([$"Added {ns}/one", $"Added {ns}/two"], late.Order());
        Assert.Equal(2, early.Count);

        await CreateAsync(ns, "three");
        await ClusterFixture.WaitAsync(() => Task.FromResult(late.Count == 3 && early.Count == 3), "both handlers hearing the third ConfigMap");
        Assert.Equal($"Added {ns}/three", late.Last());

        // Unsubscribed (twice: the second does nothing), the late handler hears no more while the first one does.
        second.Dispose();
        second.Dispose();
        await cluster.Client.DeleteAsync(ResourceRef.ConfigMaps, ns, "one", Ct);
        await ClusterFixture.WaitAsync(() => Task.FromResult(early.Contains($"Deleted {ns}/one")), "the first handler hearing the deletion");
        Assert.Equal(3, late.Count);
    }

    [Fact]
    public async Task The_cache_keeps_objects_without_managed_fields_and_an_update_from_it_keeps_the_stored_ones()
    {
        var ns = await cluster.NamespaceAsync();
        await CreateAsync(ns, "listed", labelled: true);
        await using var informers = new InformerFactory(cluster.Client, TimeProvider.System, NullLoggerFactory.Instance);
        var informer = informers.For(ResourceRef.ConfigMaps, $"metadata.namespace={ns}");
        var heard = new ConcurrentQueue<JsonObject>();
        using var subscription = informer.Subscribe(e => heard.Enqueue(e.Object));
        await informers.StartAndSyncAsync(Ct);
        await CreateAsync(ns, "watched", labelled: true);
        await ClusterFixture.WaitAsync(() => Task.FromResult(informer.Get(ns, "watched") is not null), "the watched ConfigMap cached");

        foreach (var name in new[] { "listed", "watched" })
        {
            var cached = informer.Get(ns, name)!;
            Assert.Null(cached.Find("metadata.managedFields"));
            Assert.Equal(name, cached.GetString("metadata.name"));
            Assert.Equal("v1", cached.GetString("apiVersion"));
            Assert.NotNull(cached.GetString("metadata.resourceVersion"));
        }

        // A copy reads the same and shares nothing with the cache.
        var fresh = informer.Copy($"{ns}/watched")!;
        Assert.True(JsonNode.DeepEquals(informer.Get(ns, "watched"), fresh));
        fresh["metadata"]!["labels"]!["app"] = "changed";
        Assert.Equal("web", informer.Get(ns, "watched")!.GetString("metadata.labels.app"));
        Assert.Null(informer.Copy($"{ns}/missing"));

        // Handlers hear objects as the server sent them.
        Assert.All(heard, o => Assert.NotNull(o.Find("metadata.managedFields")));

        // A controller's update of the cached copy does not lose what the server records of who set what.
        var copy = informer.Get(ns, "watched")!.DeepClone().AsObject();
        copy["data"] = new JsonObject { ["key"] = "value" };
        var updated = await cluster.Client.UpdateAsync(ResourceRef.ConfigMaps, copy, Ct);
        var entry = Assert.Single((updated.Find("metadata.managedFields") as JsonArray)!)!.AsObject();
        Assert.NotNull(entry.Find("fieldsV1.f:metadata.f:labels.f:app"));
        Assert.NotNull(entry.Find("fieldsV1.f:data.f:key"));
    }

    private Task<JsonObject> CreateAsync(string ns, string name, bool labelled = false) =>
        cluster.Client.CreateAsync(ResourceRef.ConfigMaps, ns, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = labelled ? new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = "web" } } : new JsonObject { ["name"] = name },
        }, Ct);
}
