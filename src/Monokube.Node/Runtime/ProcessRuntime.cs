using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
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

    private readonly ConcurrentDictionary<string, JsonObject> _mirrors = new(StringComparer.Ordinal);
    private Dictionary<string, JsonObject> _static = new(StringComparer.Ordinal);

    public IEnumerable<PodWorker> Workers => _workers.Values.Select(w => w.Worker);

    public void OnPod(InformerEvent e)
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        if ((e.Object.Find("metadata.annotations") as JsonObject)?[StaticPodSource.MirrorAnnotation] is not null)
        {
            OnMirror(e);
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
            _workers[e.Key] = (worker, Run(worker));
        }
    }

    /// <summary>
    /// The static pods read from the manifest directory: new ones start, changed ones are replaced, removed ones
    /// stop; each has a mirror pod in the API (when there is an API).
    /// </summary>
    public void SyncStatic(Dictionary<string, JsonObject> pods)
    {
        Dictionary<string, JsonObject> previous;
        lock (_workers)
        {
            previous = _static;
            _static = pods;
            foreach (var (key, pod) in pods)
            {
                if (previous.TryGetValue(key, out var known) && known.GetString("metadata.uid") == pod.GetString("metadata.uid") && _workers.ContainsKey(key))
                {
                    continue;
                }

                if (_workers.TryGetValue(key, out var old))
                {
                    old.Worker.Remove();
                }

                var worker = new PodWorker(context, pod);
                _workers[key] = (worker, Run(worker));
                _ = Task.Run(() => ReconcileMirrorAsync(key), CancellationToken.None);
            }

            foreach (var key in previous.Keys.Where(k => !pods.ContainsKey(k)))
            {
                if (_workers.TryRemove(key, out var gone))
                {
                    gone.Worker.Remove();
                }

                _ = Task.Run(() => ReconcileMirrorAsync(key), CancellationToken.None);
            }
        }
    }

    // A mirror pod changed in the API: the static pod's worker learns its uid; a stale or deleted one is replaced.
    private void OnMirror(InformerEvent e)
    {
        if (e.Type == InformerEventType.Deleted)
        {
            _mirrors.TryRemove(e.Key, out _);
        }
        else
        {
            _mirrors[e.Key] = e.Object;
        }

        _ = Task.Run(() => ReconcileMirrorAsync(e.Key), CancellationToken.None);
    }

    // The kubelet's mirror-pod rule: exactly one mirror per static pod, carrying its hash; any other is deleted.
    private async Task ReconcileMirrorAsync(string key)
    {
        if (context.Client is not { } client)
        {
            return;
        }

        try
        {
            var pod = Volatile.Read(ref _static).GetValueOrDefault(key);
            var mirror = _mirrors.GetValueOrDefault(key);
            var hash = pod is null ? null : ((JsonObject)pod["metadata"]!["annotations"]!)[StaticPodSource.HashAnnotation]?.ToString();
            var mirrorHash = (mirror?.Find("metadata.annotations") as JsonObject)?[StaticPodSource.MirrorAnnotation]?.ToString();
            if (mirror is not null && (mirrorHash != hash || mirror.GetString("metadata.deletionTimestamp") is not null))
            {
                // A stale mirror, or one being deleted (which does not stop a static pod): gone at once, and the
                // Deleted event brings a new one.
                await client.DeleteAsync(ResourceRef.Pods, mirror.GetString("metadata.namespace"), mirror.GetString("metadata.name")!, _stop.Token, uid: mirror.GetString("metadata.uid"), gracePeriodSeconds: 0);
                return;
            }

            if (pod is null || !_workers.TryGetValue(key, out var entry))
            {
                return;
            }

            if (mirror is null)
            {
                mirror = await client.CreateAsync(ResourceRef.Pods, pod.GetString("metadata.namespace"), StaticPodSource.Mirror(pod, context.NodeUid), _stop.Token);
                _mirrors.TryAdd(key, mirror);
            }

            entry.Worker.MirrorUid = mirror.GetString("metadata.uid");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            // Made by an earlier agent: the informer brings it here.
        }
        catch (Exception e) when (e is KubeApiException or HttpRequestException)
        {
            // Conflicts and an absent API resolve themselves: the next event or static-pod read comes back here.
            LogMirrorFailed(context.Logger, context.NodeName, key, e.Message);
        }
    }

    // A worker that fails says so instead of vanishing with its task.
    private Task Run(PodWorker worker) => Task.Run(async () =>
    {
        try
        {
            await worker.RunAsync(_stop.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogWorkerFailed(context.Logger, context.NodeName, worker.Uid, e.ToString());
        }
    }, CancellationToken.None);

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

    [LoggerMessage(EventId = 7615, Level = LogLevel.Warning, Message = "node {Node}: mirror pod {Pod}: {Reason}")]
    private static partial void LogMirrorFailed(ILogger logger, string node, string pod, string reason);

    [LoggerMessage(EventId = 7616, Level = LogLevel.Error, Message = "node {Node}: the worker of pod {Uid} failed: {Error}")]
    private static partial void LogWorkerFailed(ILogger logger, string node, string uid, string error);

    [LoggerMessage(EventId = 7614, Level = LogLevel.Information, Message = "node {Node}: removed pod directory {Uid} ({Processes} processes stopped): the pod is gone")]
    private static partial void LogOrphan(ILogger logger, string node, string uid, int processes);
}
