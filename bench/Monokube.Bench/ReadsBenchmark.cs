using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Monokube.Testing;

namespace Monokube.Bench;

/// <summary>
/// Reads from a server holding many pods (memory store, plain HTTP): GET of one pod by name, and LIST of all of them
/// as JSON, as a Table, and in pages of 500. Every answer is read to its end before the clock stops, then its items
/// are counted (the client's parsing is not timed).
/// </summary>
internal sealed class ReadsBenchmark(int pods, int runs, TextWriter output)
{
    private const string Collection = "/api/v1/namespaces/default/pods";
    private const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io";
    private const int Gets = 3000;
    private const int ListsPerRun = 3;
    private const int PageSize = 500;

    private readonly ResponseBuffer _buffer = new();

    public async Task RunAsync()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Https = false, Controllers = false });
        var created = await CreatePodsAsync(cluster.ServerUri);
        using var client = LoopbackHttp.CreateClient(cluster.ServerUri, 1);
        var podBytes = (await ReadAsync(client, $"{Collection}/{PodName(pods / 2)}", null)).Length;
        await output.WriteLineAsync($"reads: {pods:N0} pods of about {podBytes:N0} bytes as served (created over HTTP by 8 clients at {created:N0}/s); {Gets:N0} sequential GETs and {ListsPerRun} of each LIST per run, {runs} runs, one keep-alive connection; times run from sending to the last byte, the client's JSON parsing untimed");

        // JIT and the first large buffers, left out of the figures.
        for (var i = 0; i < 200; i++)
        {
            await ReadAsync(client, $"{Collection}/{PodName(i % pods)}", null);
        }

        await ListAsync(client, null);
        await ListAsync(client, TableAccept);
        await ListPagedAsync(client);

        var gets = new List<double>();
        List<double> lists = [], tables = [], paged = [];
        for (var run = 0; run < runs; run++)
        {
            var path = $"{Collection}/{PodName(run % pods)}";
            for (var i = 0; i < Gets; i++)
            {
                var clock = Stopwatch.StartNew();
                await ReadAsync(client, path, null);
                gets.Add(clock.Elapsed.TotalMilliseconds);
            }

            for (var i = 0; i < ListsPerRun; i++)
            {
                lists.Add(await ListAsync(client, null));
                tables.Add(await ListAsync(client, TableAccept));
                paged.Add(await ListPagedAsync(client));
            }
        }

        gets.Sort();
        var table = new ResultTable();
        table.Add("GET pod p50", ResultTable.Format(Measure.Percentile(gets, 50), "0.00") + " ms");
        table.AddAtMost("GET pod p99", Measure.Percentile(gets, 99), 2, "0.00", " ms");
        table.AddAtMost($"LIST {pods:N0} pods, JSON (median)", Measure.Median(lists), 150, "0", " ms");
        table.AddAtMost($"LIST {pods:N0} pods, Table (median)", Measure.Median(tables), 300, "0", " ms");
        table.AddAtMost($"LIST {pods:N0} pods, limit={PageSize} + continue, total (median)", Measure.Median(paged), 250, "0", " ms");
        await table.WriteAsync(output);
    }

    private static string PodName(int i) => $"web-{i:D6}";

    // In parallel from 8 connections, as fast as the server takes them; answers the rate.
    private async Task<double> CreatePodsAsync(Uri server)
    {
        const int Workers = 8;
        var clients = Enumerable.Range(0, Workers).Select(_ => LoopbackHttp.CreateClient(server, 1)).ToArray();
        try
        {
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(async client =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < pods)
                {
                    using var content = new ByteArrayContent(PodJson(i));
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await client.PostAsync(Collection, content);
                    await LoopbackHttp.ExpectAsync(response, HttpStatusCode.Created);
                }
            }));
            return pods / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    // What a Deployment's pod looks like once scheduled: one container with ports, env, resources, a probe and a mount.
    private const string PodTemplate = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"@NAME@","namespace":"default",
        "labels":{"app":"web","tier":"frontend","pod-template-hash":"5d8f7c9b6d","shard":"@SHARD@"},
        "annotations":{"kubectl.kubernetes.io/default-container":"web"}},
        "spec":{"nodeName":"@NODE@","restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",
        "serviceAccountName":"default","containers":[{"name":"web","image":"registry.k8s.io/nginx-slim:0.27",
        "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],
        "env":[{"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},{"name":"LOG_LEVEL","value":"info"}],
        "resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}},
        "readinessProbe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":10},
        "volumeMounts":[{"name":"config","mountPath":"/etc/web","readOnly":true}]}],
        "volumes":[{"name":"config","configMap":{"name":"web-config"}}],
        "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]}}
        """;

    private static byte[] PodJson(int i) => Encoding.UTF8.GetBytes(PodTemplate
        .Replace("@NAME@", PodName(i), StringComparison.Ordinal)
        .Replace("@SHARD@", (i % 16).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("@NODE@", "node-" + (i % 100).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

    // Milliseconds from sending to the last byte of the answer; then checks it holds every pod.
    private async Task<double> ListAsync(HttpClient client, string? accept)
    {
        var clock = Stopwatch.StartNew();
        var body = await ReadAsync(client, Collection, accept);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        using var document = JsonDocument.Parse(body);
        var count = document.RootElement.GetProperty(accept is null ? "items" : "rows").GetArrayLength();
        Check(count == pods, $"a LIST ({accept ?? "JSON"}) returned {count} of {pods} pods");
        return elapsed;
    }

    // The sum of the pages' request times, sending to last byte; the client's reading of "continue" is not timed.
    private async Task<double> ListPagedAsync(HttpClient client)
    {
        double elapsed = 0;
        var count = 0;
        string? next = null;
        do
        {
            var path = $"{Collection}?limit={PageSize}" + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next));
            var clock = Stopwatch.StartNew();
            var body = await ReadAsync(client, path, null);
            elapsed += clock.Elapsed.TotalMilliseconds;
            using var document = JsonDocument.Parse(body);
            count += document.RootElement.GetProperty("items").GetArrayLength();
            next = document.RootElement.GetProperty("metadata").TryGetProperty("continue", out var token) ? token.GetString() : null;
        }
        while (!string.IsNullOrEmpty(next));

        Check(count == pods, $"the pages held {count} of {pods} pods");
        return elapsed;
    }

    private async Task<ReadOnlyMemory<byte>> ReadAsync(HttpClient client, string path, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await LoopbackHttp.ExpectAsync(response, HttpStatusCode.OK);
        await using var stream = await response.Content.ReadAsStreamAsync();
        return await _buffer.FillAsync(stream);
    }

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException("reads: " + what);
        }
    }
}
