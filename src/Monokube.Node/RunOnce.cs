using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Node.Runtime;

namespace Monokube.Node;

/// <summary>
/// --runonce, as the kubelet's: no API at all — start the static pods from --pod-manifest-path on the process
/// runtime, wait until every container has been started (or could not be), say what each is doing, and exit.
/// The processes keep running; the next agent on the same root directory adopts them.
/// </summary>
public static class RunOnce
{
    /// <summary>0 when every container started, 1 when one could not.</summary>
    public static async Task<int> RunAsync(NodeAgentOptions options, TimeProvider time, ILogger logger, TextWriter output, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = new StaticPodSource(options.StaticPodPath!, options.NodeName, time);
        var (pods, errors) = source.Read();
        foreach (var error in errors)
        {
            await output.WriteLineAsync("monokube node: " + error);
        }

        var nextIp = 0;
        await using var runtime = new ProcessRuntime(new ProcessRuntimeContext
        {
            Client = null,
            Options = options,
            Images = options.Images,
            NodeName = options.NodeName,
            PodsDirectory = Path.Combine(options.RootDir, "pods"),
            Time = time,
            Logger = logger,
            NextPodIp = () => $"10.244.0.{Interlocked.Increment(ref nextIp) % 254 + 1}",
        });
        runtime.SyncStatic(pods);
        var deadline = time.GetUtcNow() + timeout;
        while (!runtime.Workers.All(w => w.Settled) && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }

        var ok = errors.Count == 0;
        foreach (var (key, worker) in pods.Keys.Order(StringComparer.Ordinal).Select(k => (k, runtime.Workers.Single(w => w.Uid == pods[k].GetString("metadata.uid")))))
        {
            foreach (var line in worker.Describe())
            {
                await output.WriteLineAsync($"monokube node: static pod {key}: {line}");
                ok &= !line.Contains("Error", StringComparison.Ordinal) && !line.EndsWith(": waiting", StringComparison.Ordinal);
            }
        }

        await output.WriteLineAsync($"monokube node: ran {pods.Count} static pods once{(ok ? "" : "; some did not start")}");
        return ok ? 0 : 1;
    }
}
