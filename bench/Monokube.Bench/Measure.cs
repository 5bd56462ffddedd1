using System.Diagnostics;
using System.Runtime;

namespace Monokube.Bench;

/// <summary>Runs an operation from N concurrent workers for a fixed time and reports operations per second.</summary>
internal static class Measure
{
    public static async Task<double> OpsPerSecondAsync(int concurrency, TimeSpan duration, Func<int, long, Task> operation)
    {
        long total = 0;
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            long n = 0;
            while (!stop.IsCancellationRequested)
            {
                await operation(worker, n++);
            }

            Interlocked.Add(ref total, n);
        })).ToArray();

        await Task.Delay(duration);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        return total / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Runs <paramref name="round"/> until the JIT has settled: until a round compiles fewer than
    /// <paramref name="quietMethods"/> methods, or <paramref name="limit"/> has passed. Tiered compilation compiles the
    /// hot methods again, optimized, on a background thread; on a 2-core machine that took a quarter of the CPU for
    /// some 15 s of a short run, and would take it from whichever side was measured then.
    /// </summary>
    public static async Task<string> UntilJitSettlesAsync(Func<Task> round, TimeSpan limit, int quietMethods = 10)
    {
        var clock = Stopwatch.StartNew();
        var jitBefore = JitInfo.GetCompilationTime();
        var rounds = 0;
        long compiled;
        do
        {
            var before = JitInfo.GetCompiledMethodCount();
            await round();
            rounds++;
            compiled = JitInfo.GetCompiledMethodCount() - before;
        }
        while (compiled >= quietMethods && clock.Elapsed < limit);

        var settled = compiled < quietMethods ? "settled" : "still compiling";
        return $"warm-up: {rounds} rounds in {clock.Elapsed.TotalSeconds:0.0} s, JIT {(JitInfo.GetCompilationTime() - jitBefore).TotalSeconds:0.0} s, {settled} ({compiled} methods in the last round)";
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The nearest-rank percentile (0 &lt; p &lt;= 100) of values sorted ascending.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static double Milliseconds(long stopwatchTicks) => stopwatchTicks * 1000.0 / Stopwatch.Frequency;
}
