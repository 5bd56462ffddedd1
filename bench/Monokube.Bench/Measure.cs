using System.Diagnostics;

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
