using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Hosting;
using Monokube.Storage.Etcd;
using Monokube.Storage.Memory;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>The request deadline and the bound on watches per client, each on a server of its own.</summary>
public sealed class LimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_stuck_on_a_hung_etcd_gets_a_504_at_the_deadline()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        await using var store = new EtcdObjectStore(new EtcdOptions { Endpoints = [new Uri(etcd.ClientUrl)] });
        var options = new ApiServerOptions { BindAddress = IPAddress.Loopback, Port = 0, InsecureHttp = true, RequestTimeout = TimeSpan.FromSeconds(2) };
        await using var server = await Hosting.ApiServer.StartAsync(options, store, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(30) };
        using (var ok = await http.GetAsync("/api/v1/namespaces", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        await etcd.PauseAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            using var stuck = await http.GetAsync("/api/v1/namespaces/default/configmaps", Ct);
            var body = await stuck.Content.ReadAsStringAsync(Ct);
            Assert.True(stuck.StatusCode == HttpStatusCode.GatewayTimeout, body);
            var status = JsonNode.Parse(body)!;
            Assert.Equal("Timeout: request did not complete within the allotted timeout", status["message"]!.ToString());
            Assert.Equal("Timeout", status["reason"]!.ToString());
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(20));

            // A shorter ?timeout= wins over the server's.
            clock.Restart();
            using var shorter = await http.GetAsync("/api/v1/namespaces/default/configmaps?timeout=500ms", Ct);
            Assert.Equal(HttpStatusCode.GatewayTimeout, shorter.StatusCode);
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1.9));
        }
        finally
        {
            await etcd.ResumeAsync();
        }

        using var bad = await http.GetAsync("/api/v1/namespaces?timeout=soon", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("invalid timeout specified in the request URL - time: invalid duration \\\"soon\\\"", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var recovered = await Eventually.WaitAsync(
            () => OkOrDisposeAsync(http.GetAsync("/api/v1/namespaces", Ct)),
            TimeSpan.FromSeconds(20), "the server to answer again once etcd resumes");
        recovered.Dispose();
    }

    private static async Task<(bool, HttpResponseMessage)> OkOrDisposeAsync(Task<HttpResponseMessage> request)
    {
        var response = await request;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return (true, response);
        }

        response.Dispose();
        return (false, null!);
    }

    [Fact]
    public async Task A_client_may_hold_only_so_many_watches()
    {
        var options = new ApiServerOptions { BindAddress = IPAddress.Loopback, Port = 0, InsecureHttp = true, Watch = new WatchOptions { MaxPerClient = 3 } };
        await using var server = await Hosting.ApiServer.StartAsync(options, new MemoryObjectStore(), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = server.Url, Timeout = Timeout.InfiniteTimeSpan };
        var open = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var watch = await http.GetAsync("/api/v1/configmaps?watch=true", HttpCompletionOption.ResponseHeadersRead, Ct);
                Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
                open.Add(watch);
            }

            using (var refused = await http.GetAsync("/api/v1/configmaps?watch=true", HttpCompletionOption.ResponseHeadersRead, Ct))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
                Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
                var status = JsonNode.Parse(await refused.Content.ReadAsStringAsync(Ct))!;
                Assert.Equal("TooManyRequests", status["reason"]!.ToString());
                Assert.Contains("too many concurrent watches", status["message"]!.ToString(), StringComparison.Ordinal);
            }

            // Lists are not watches; they are unaffected.
            using (var list = await http.GetAsync("/api/v1/configmaps", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            }

            // Closing a watch frees its slot.
            open[0].Dispose();
            open.RemoveAt(0);
            var again = await Eventually.WaitAsync(
                () => OkOrDisposeAsync(http.GetAsync("/api/v1/configmaps?watch=true", HttpCompletionOption.ResponseHeadersRead, Ct)),
                TimeSpan.FromSeconds(10), "a closed watch to free its slot");
            open.Add(again);
        }
        finally
        {
            open.ForEach(r => r.Dispose());
        }
    }
}
