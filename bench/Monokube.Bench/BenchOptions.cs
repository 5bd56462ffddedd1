using System.Globalization;

namespace Monokube.Bench;

internal sealed record BenchOptions(
    IReadOnlyList<string> Scenarios, double Seconds, int Runs, int Concurrency, string? EtcdServers, int Clusters, int Pods, int Watchers, int Updates)
{
    public const string Usage =
        "usage: Monokube.Bench [storage] [startup] [http] [reads] [watch] (all when none is named)\n" +
        "         [--runs N] [--seconds N] [--concurrency N] [--etcd-servers URL] [--clusters N] [--pods N] [--watchers N] [--updates N]";

    private static readonly string[] AllScenarios = ["storage", "startup", "http", "reads", "watch"];

    public static BenchOptions? Parse(string[] args)
    {
        var scenarios = new List<string>();
        double seconds = 2;
        int runs = 3, concurrency = 8, clusters = 50, pods = 10_000, watchers = 1000, updates = 1000;
        string? etcd = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds" when i + 1 < args.Length:
                    seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--runs" when i + 1 < args.Length:
                    runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--concurrency" when i + 1 < args.Length:
                    concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--clusters" when i + 1 < args.Length:
                    clusters = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--pods" when i + 1 < args.Length:
                    pods = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--watchers" when i + 1 < args.Length:
                    watchers = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--updates" when i + 1 < args.Length:
                    updates = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--etcd-servers" when i + 1 < args.Length:
                    etcd = args[++i];
                    break;
                case var s when AllScenarios.Contains(s):
                    scenarios.Add(s);
                    break;
                default:
                    return null;
            }
        }

        if (runs < 1 || concurrency < 1 || clusters < 1 || pods < 1 || watchers < 1 || updates < 1 || seconds <= 0)
        {
            return null;
        }

        return new BenchOptions(scenarios.Count == 0 ? AllScenarios : scenarios, seconds, runs, concurrency, etcd, clusters, pods, watchers, updates);
    }
}
