using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Monokube.ApiServer.Hosting;
using Monokube.Storage;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>Watch semantics, over HTTP and through the official C# client.</summary>
public abstract class WatchTests(ApiServerFixture server)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<string> NamespaceAsync()
    {
        var ns = server.NewNamespace();
        await server.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: Token);
        return ns;
    }

    private Task<V1ConfigMap> CreateAsync(string ns, string name, Dictionary<string, string>? labels = null) =>
        server.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = labels } }, ns, cancellationToken: Token);

    private async Task PatchLabelsAsync(string ns, string name, string labelsJson)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/{name}")
        {
            Content = new StringContent("{\"metadata\":{\"labels\":" + labelsJson + "}}", Encoding.UTF8, "application/merge-patch+json"),
        };
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(request, Token)).StatusCode);
    }

    [Fact]
    public async Task A_watch_without_a_version_starts_with_the_current_state_then_streams_changes()
    {
        var ns = await NamespaceAsync();
        await CreateAsync(ns, "existing");
        await using var watch = await WatchStream.OpenAsync(server.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=true");
        Assert.Equal(HttpStatusCode.OK, watch.Response.StatusCode);
        Assert.Equal(("ADDED", "existing"), await watch.NextTypeAndNameAsync());

        await CreateAsync(ns, "new");
        await PatchLabelsAsync(ns, "existing", """{"a":"b"}""");
        await server.Client.CoreV1.DeleteNamespacedConfigMapAsync("new", ns, cancellationToken: Token);
        Assert.Equal(("ADDED", "new"), await watch.NextTypeAndNameAsync());
        Assert.Equal(("MODIFIED", "existing"), await watch.NextTypeAndNameAsync());
        Assert.Equal(("DELETED", "new"), await watch.NextTypeAndNameAsync());
    }

    [Fact]
    public async Task A_watch_from_a_version_sends_only_later_changes_and_selectors_turn_exits_into_deletions()
    {
        var ns = await NamespaceAsync();
        var first = await CreateAsync(ns, "a", new() { ["team"] = "x" });
        await CreateAsync(ns, "b", new() { ["team"] = "y" });
        await using var watch = await WatchStream.OpenAsync(server.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=true&labelSelector=team%3Dx&resourceVersion={first.Metadata.ResourceVersion}");

        await PatchLabelsAsync(ns, "b", """{"team":"x"}""");
        await PatchLabelsAsync(ns, "a", """{"team":"z"}""");
        Assert.Equal(("ADDED", "b"), await watch.NextTypeAndNameAsync());
        var left = await watch.NextAsync();
        Assert.Equal(("DELETED", "a"), (left!["type"]!.ToString(), left["object"]!["metadata"]!["name"]!.ToString()));
        Assert.True(long.Parse(left["object"]!["metadata"]!["resourceVersion"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture) > long.Parse(first.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_watch_from_a_compacted_version_gets_a_410_expired_error_event()
    {
        var ns = await NamespaceAsync();
        var old = await CreateAsync(ns, "a");
        await PatchLabelsAsync(ns, "a", """{"x":"1"}""");
        var current = await server.Store.GetCurrentRevisionAsync(Token);
        await server.Store.CompactAsync(current, Token);

        await using var watch = await WatchStream.OpenAsync(server.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={long.Parse(old.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) - 1}");
        var error = await watch.NextAsync();
        Assert.Equal("ERROR", error!["type"]!.ToString());
        Assert.Equal(410, error["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", error["object"]!["reason"]!.ToString());
        Assert.Null(await watch.NextAsync());
    }

    [Fact]
    public async Task Send_initial_events_ends_the_initial_state_with_an_annotated_bookmark_and_timeout_seconds_ends_the_watch()
    {
        var ns = await NamespaceAsync();
        await CreateAsync(ns, "a");
        await using var watch = await WatchStream.OpenAsync(server.Http,
            $"/api/v1/namespaces/{ns}/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1");
        Assert.Equal(("ADDED", "a"), await watch.NextTypeAndNameAsync());
        var bookmark = await watch.NextAsync();
        Assert.Equal("BOOKMARK", bookmark!["type"]!.ToString());
        Assert.Equal("true", bookmark["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!.ToString());
        Assert.Null(await watch.NextAsync(TimeSpan.FromSeconds(10)));

        var refused = await server.Http.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&sendInitialEvents=true", Token);
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
    }

    [Fact]
    public async Task Table_watches_carry_column_definitions_first_and_rows_after()
    {
        var ns = await NamespaceAsync();
        await CreateAsync(ns, "a");
        await using var watch = await WatchStream.OpenAsync(server.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=true", "application/json;as=Table;v=v1;g=meta.k8s.io");
        var first = await watch.NextAsync();
        Assert.Equal("Table", first!["object"]!["kind"]!.ToString());
        Assert.Equal(3, first["object"]!["columnDefinitions"]!.AsArray().Count);
        Assert.Equal("a", first["object"]!["rows"]![0]!["cells"]![0]!.ToString());

        await CreateAsync(ns, "b");
        var second = await watch.NextAsync();
        Assert.Null(second!["object"]!["columnDefinitions"]);
        Assert.Equal("b", second["object"]!["rows"]![0]!["cells"]![0]!.ToString());
    }

    [Fact]
    public async Task The_official_csharp_client_lists_then_watches_from_the_lists_version()
    {
        var ns = await NamespaceAsync();
        await CreateAsync(ns, "before");
        var list = await server.Client.CoreV1.ListNamespacedConfigMapAsync(ns, cancellationToken: Token);
        Assert.Equal(["before"], list.Items.Select(i => i.Metadata.Name));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        stop.CancelAfter(TimeSpan.FromSeconds(30));
        var watching = server.Client.CoreV1.WatchListNamespacedConfigMapAsync(ns, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: stop.Token).GetAsyncEnumerator(stop.Token);
        var first = watching.MoveNextAsync();

        await CreateAsync(ns, "after");
        await PatchLabelsAsync(ns, "after", """{"v":"2"}""");
        await server.Client.CoreV1.DeleteNamespacedConfigMapAsync("after", ns, cancellationToken: Token);

        var seen = new List<(WatchEventType, string)>();
        Assert.True(await first);
        seen.Add((watching.Current.Item1, watching.Current.Item2.Metadata.Name));
        while (seen.Count < 3 && await watching.MoveNextAsync())
        {
            seen.Add((watching.Current.Item1, watching.Current.Item2.Metadata.Name));
        }

        await stop.CancelAsync();
        Assert.Equal([(WatchEventType.Added, "after"), (WatchEventType.Modified, "after"), (WatchEventType.Deleted, "after")], seen);
    }
}

// In process: a test compacts the server's own memory store (a native server's memory store is out of reach).
public sealed class WatchOnMemoryTests(InProcessMemoryApiServerFixture server) : WatchTests(server), IClassFixture<InProcessMemoryApiServerFixture>;

public sealed class WatchOnEtcdTests(EtcdApiServerFixture server) : WatchTests(server), IClassFixture<EtcdApiServerFixture>;
