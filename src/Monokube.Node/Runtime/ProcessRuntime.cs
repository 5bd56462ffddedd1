using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Informers;

namespace Monokube.Node.Runtime;

/// <summary>
/// The process runtime of one node: a pod worker per pod bound to it, keyed by namespace/name and replaced when a
/// pod of the same name comes back with a new uid. What is left in &lt;root-dir&gt;/pods of pods that no longer
/// exist (after the first full list) is stopped and removed.
/// </summary>
internal sealed partial class ProcessRuntime(ProcessRuntimeContext context) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (PodWorker Worker, Task Run)> _workers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    public void OnPod(InformerEvent e)
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        var uid = e.Object.GetString("metadata.uid");
        if (e.Type == InformerEventType.Deleted)
        {
            if (_workers.TryGetValue(e.Key, out var gone) && gone.Worker.Uid == uid && _workers.TryRemove(e.Key, out gone))
            {
                gone.Worker.Remove();
            }

            return;
        }

        lock (_workers)
        {
            if (_workers.TryGetValue(e.Key, out var current))
            {
                if (current.Worker.Uid == uid)
                {
                    current.Worker.Update(e.Object);
                    return;
                }

                current.Worker.Remove();
            }

            var worker = new PodWorker(context, e.Object);
            _workers[e.Key] = (worker, Task.Run(() => worker.RunAsync(_stop.Token), CancellationToken.None));
        }
    }

    /// <summary>Stops and removes what the pods directory holds of pods that are not bound to this node anymore.</summary>
    public async Task RemoveOrphansAsync(IEnumerable<JsonObject> pods)
    {
        if (!Directory.Exists(context.PodsDirectory))
        {
            return;
        }

        var known = pods.Select(p => p.GetString("metadata.uid")).Concat(_workers.Values.Select(w => w.Worker.Uid)).ToHashSet(StringComparer.Ordinal);
        foreach (var directory in Directory.EnumerateDirectories(context.PodsDirectory))
        {
            if (known.Contains(Path.GetFileName(directory)))
            {
                continue;
            }

            var containers = Path.Combine(directory, "containers");
            var runs = Directory.Exists(containers) ? Directory.EnumerateDirectories(containers).Select(ContainerProcess.Adopt).OfType<ContainerProcess>().ToList() : [];
            await Task.WhenAll(runs.Select(r => r.StopAsync(TimeSpan.FromSeconds(2), context.Time)));
            LogOrphan(context.Logger, context.NodeName, Path.GetFileName(directory), runs.Count);
            Directory.Delete(directory, recursive: true);
        }
    }

    public (string Path, bool Live)? Log(string ns, string pod, string container, bool previous) =>
        _workers.TryGetValue(ns + "/" + pod, out var w) ? w.Worker.Log(container, previous) : null;

    public bool Has(string ns, string pod) => _workers.ContainsKey(ns + "/" + pod);

    /// <summary>Stops the workers; the processes keep running for the next agent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers.Values.Select(w => w.Run));
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 7614, Level = LogLevel.Information, Message = "node {Node}: removed pod directory {Uid} ({Processes} processes stopped): the pod is gone")]
    private static partial void LogOrphan(ILogger logger, string node, string uid, int processes);
}
