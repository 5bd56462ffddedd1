using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Monokube.Testing;

namespace Monokube.Bench;

/// <summary>
/// Watch fan-out: many HTTP watches on the ConfigMaps of one namespace, then sequential PUTs of one ConfigMap. Every
/// watcher must see exactly the written resourceVersions, in order, as MODIFIED events. Delivery latency runs from
/// the moment the bench starts sending a PUT to the moment the event's bytes reach a watcher, over all watchers and
/// events. The CPU time is the whole bench process's (server and clients, which share it) during the phase.
/// </summary>
internal sealed class WatchBenchmark(int watchers, int updates, int runs, TextWriter output)
{
    private const string Collection = "/api/v1/namespaces/default/configmaps";
    private const string Name = "watched";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public async Task RunAsync()
    {
        await output.WriteLineAsync($"watch: {watchers:N0} HTTP watches (one connection each) on {Collection}, {updates:N0} sequential PUTs of one ConfigMap, median of {runs} runs; latency from the start of the PUT to the event's arrival at a watcher");
        var results = new List<RunResult>();
        for (var run = 0; run < runs; run++)
        {
            results.Add(await RunOnceAsync());
        }

        var table = new ResultTable();
        table.Add("events checked (watchers x updates), none lost, duplicated or out of order", (watchers * (long)updates).ToString("N0", CultureInfo.InvariantCulture));
        table.Add("delivery latency p50", ResultTable.Format(Measure.Median(results.Select(r => r.P50)), "0.0") + " ms");
        table.AddAtMost("delivery latency p99", Measure.Median(results.Select(r => r.P99)), 100, "0.0", " ms");
        table.Add("delivery latency max", ResultTable.Format(Measure.Median(results.Select(r => r.Max)), "0.0") + " ms");
        table.Add("latency p50 / p99 from the PUT's answer instead", ResultTable.Format(Measure.Median(results.Select(r => r.P50FromAnswer)), "0.0") + " / " + ResultTable.Format(Measure.Median(results.Select(r => r.P99FromAnswer)), "0.0") + " ms");
        table.Add("PUTs per second (sequential, one connection)", ResultTable.Format(Measure.Median(results.Select(r => r.UpdatesPerSecond)), "N0"));
        table.Add("first PUT to last event delivered", ResultTable.Format(Measure.Median(results.Select(r => r.PhaseSeconds)), "0.00") + " s");
        table.Add("process CPU during the phase (server + watchers + writer)", ResultTable.Format(Measure.Median(results.Select(r => r.CpuSeconds)), "0.00") + " s");
        table.Add("opening the watches", ResultTable.Format(Measure.Median(results.Select(r => r.OpenSeconds)), "0.00") + " s");
        await table.WriteAsync(output);
    }

    private sealed record RunResult(double P50, double P99, double Max, double P50FromAnswer, double P99FromAnswer, double UpdatesPerSecond, double PhaseSeconds, double CpuSeconds, double OpenSeconds);

    // A fresh server per run, so the previous run's watches are gone (the server allows 1,000 per client address).
    private async Task<RunResult> RunOnceAsync()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Https = false, Controllers = false });
        using var writer = LoopbackHttp.CreateClient(cluster.ServerUri, 1);
        var initial = await WriteAsync(writer, HttpMethod.Post, Collection, -1);

        using var watchClient = LoopbackHttp.CreateClient(cluster.ServerUri, watchers);
        using var stop = new CancellationTokenSource();
        var streams = Enumerable.Range(0, watchers).Select(_ => new WatchStream(updates)).ToArray();
        var opening = Stopwatch.StartNew();
        var path = $"{Collection}?watch=true&resourceVersion={initial}";
        try
        {
            await Task.WhenAll(streams.Select(s => s.OpenAsync(watchClient, path, stop.Token))).WaitAsync(Patience);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"watch: opening {watchers} watches failed after {opening.Elapsed.TotalSeconds:0.0}s: {e.Message}", e);
        }

        var openSeconds = opening.Elapsed.TotalSeconds;
        var startedAt = new long[updates];
        var answeredAt = new long[updates];
        var revisions = new long[updates];
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var phase = Stopwatch.StartNew();
        for (var i = 0; i < updates; i++)
        {
            startedAt[i] = Stopwatch.GetTimestamp();
            revisions[i] = await WriteAsync(writer, HttpMethod.Put, $"{Collection}/{Name}", i);
            answeredAt[i] = Stopwatch.GetTimestamp();
        }

        var writeSeconds = phase.Elapsed.TotalSeconds;
        var delivered = await Task.WhenAll(streams.Select(s => s.Completed)).WaitAsync(Patience).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        var phaseSeconds = phase.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

        // A moment more, so an event sent twice shows up as unexpected, then the watches are closed.
        await Task.Delay(TimeSpan.FromMilliseconds(250));
        await stop.CancelAsync();
        await Task.WhenAll(streams.Select(s => s.Reading)).WaitAsync(Patience);
        Verify(streams, revisions, delivered);

        var fromStart = new double[watchers * updates];
        var fromAnswer = new double[watchers * updates];
        var k = 0;
        foreach (var stream in streams)
        {
            for (var i = 0; i < updates; i++, k++)
            {
                fromStart[k] = Measure.Milliseconds(stream.ReceivedAt[i] - startedAt[i]);
                fromAnswer[k] = Measure.Milliseconds(stream.ReceivedAt[i] - answeredAt[i]);
            }
        }

        Array.Sort(fromStart);
        Array.Sort(fromAnswer);
        return new RunResult(
            Measure.Percentile(fromStart, 50), Measure.Percentile(fromStart, 99), fromStart[^1],
            Measure.Percentile(fromAnswer, 50), Measure.Percentile(fromAnswer, 99),
            updates / writeSeconds, phaseSeconds, cpuSeconds, openSeconds);
    }

    private void Verify(WatchStream[] streams, long[] revisions, bool delivered)
    {
        long missing = 0, unexpected = 0, wrong = 0;
        int complete = 0, firstWrong = -1;
        for (var w = 0; w < streams.Length; w++)
        {
            var stream = streams[w];
            missing += updates - stream.Count;
            unexpected += stream.Unexpected;
            complete += stream.Count == updates ? 1 : 0;
            for (var i = 0; i < stream.Count; i++)
            {
                if (stream.Revisions[i] != revisions[i])
                {
                    wrong++;
                    firstWrong = firstWrong < 0 ? w : firstWrong;
                }
            }
        }

        if (!delivered || missing > 0 || unexpected > 0 || wrong > 0)
        {
            var failed = streams.FirstOrDefault(s => s.Reading.IsFaulted)?.Reading.Exception?.InnerException;
            throw new InvalidOperationException(
                $"watch: {complete} of {streams.Length} watchers got all {updates} events{(delivered ? "" : $" within {Patience.TotalSeconds:0}s")}; " +
                $"{missing} events missing, {unexpected} unexpected (first: {streams.Select(s => s.FirstUnexpected).FirstOrDefault(u => u is not null) ?? "none"}), " +
                $"{wrong} at the wrong place in the sequence{(firstWrong < 0 ? "" : $" (first in watcher {firstWrong})")}" +
                (failed is null ? "" : $"; a watch stream failed: {failed.GetType().Name}: {failed.Message}"));
        }
    }

    // Creates (n < 0) or replaces the ConfigMap, each update with different data; answers the new resourceVersion.
    private static async Task<long> WriteAsync(HttpClient client, HttpMethod method, string path, int n)
    {
        var body = $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{Name}}}","namespace":"default"},"data":{"update":"{{{n}}}","sentTicks":"{{{Stopwatch.GetTimestamp()}}}"}}""";
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")) };
        using var response = await client.SendAsync(request);
        await LoopbackHttp.ExpectAsync(response, n < 0 ? HttpStatusCode.Created : HttpStatusCode.OK);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return long.Parse(answer.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!, CultureInfo.InvariantCulture);
    }
}
