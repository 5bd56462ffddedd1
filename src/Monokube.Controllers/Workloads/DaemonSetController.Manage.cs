using System.Runtime.ExceptionServices;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Workloads;

/// <summary>The core loop: which nodes need a daemon pod and which pods must go, then creating and deleting them.</summary>
public sealed partial class DaemonSetController
{
    private async Task ManageAsync(string key, JsonObject ds, LabelSelector selector, List<JsonObject> nodes, string hash, CancellationToken cancellationToken)
    {
        var nodeToPods = await NodesToDaemonPodsAsync(ds, selector, includeDeletedTerminal: false, cancellationToken);
        var create = new List<string>();
        var delete = new List<PodDeletion>();
        foreach (var node in nodes)
        {
            await PodsShouldBeOnNodeAsync(key, ds, node, nodeToPods, hash, create, delete, cancellationToken);
        }

        // Pods for nodes that are gone. kube deletes the unbound ones here and leaves the bound ones to its pod GC,
        // which deletes them at once (no kubelet is left to finish them); monokube has no pod GC, so they go here.
        var names = nodes.Select(n => n.GetString("metadata.name")).ToHashSet(StringComparer.Ordinal);
        foreach (var (node, pods) in nodeToPods.Where(p => !names.Contains(p.Key)))
        {
            delete.AddRange(pods.Select(p => new PodDeletion(p, Force: !string.IsNullOrEmpty(p.GetString("spec.nodeName")))));
        }

        await SyncNodesAsync(key, ds, delete, create, hash, cancellationToken);
    }

    // kube's podsShouldBeOnNode: a pod for a node that should run one and has none; failed and finished pods
    // deleted (failed ones with backoff); extra pods on a node deleted (the oldest kept, or with surge the oldest
    // of each revision while the new one is not yet available); every pod on a node it may not stay on deleted.
    private async Task PodsShouldBeOnNodeAsync(string key, JsonObject ds, JsonObject node, Dictionary<string, List<JsonObject>> nodeToPods, string hash,
        List<string> create, List<PodDeletion> delete, CancellationToken cancellationToken)
    {
        var nodeName = node.GetString("metadata.name")!;
        var (shouldRun, shouldContinueRunning) = DaemonPods.ShouldRun(node, ds);
        var exists = nodeToPods.TryGetValue(nodeName, out var pods);
        if (shouldRun && !exists)
        {
            create.Add(nodeName);
            return;
        }

        if (!exists)
        {
            return;
        }

        if (!shouldContinueRunning)
        {
            delete.AddRange(pods!.Where(p => !Owners.IsBeingDeleted(p)).Select(p => new PodDeletion(p, Force: false)));
            return;
        }

        var running = new List<JsonObject>();
        foreach (var pod in pods!.Where(p => !Owners.IsBeingDeleted(p)))
        {
            var podName = pod.GetString("metadata.name");
            switch (pod.GetString("status.phase"))
            {
                case "Failed":
                    // The daemonset controller and a kubelet that rejects the pod can fight: back off between deletions.
                    var backoffKey = $"{Owners.Uid(ds)}/{ds.Find("status.observedGeneration")?.ToLong() ?? 0}/{nodeName}";
                    if (_failedPodsBackoff.IsInBackoffSinceUpdate(backoffKey))
                    {
                        Queue.AddAfter(key, _failedPodsBackoff.Get(backoffKey));
                        continue;
                    }

                    _failedPodsBackoff.Next(backoffKey);
                    await _events.RecordAsync(ds, "Warning", "FailedDaemonPod", "Delete", $"Found failed daemon pod {pod.GetString("metadata.namespace")}/{podName} on node {nodeName}, will try to kill it", cancellationToken);
                    delete.Add(new PodDeletion(pod, Force: false));
                    break;
                case "Succeeded":
                    await _events.RecordAsync(ds, "Normal", "SucceededDaemonPod", "Delete", $"Found succeeded daemon pod {pod.GetString("metadata.namespace")}/{podName} on node {nodeName}, will try to delete it", cancellationToken);
                    delete.Add(new PodDeletion(pod, Force: false));
                    break;
                default:
                    running.Add(pod);
                    break;
            }
        }

        running.Sort(DaemonPods.CompareOldestFirst);
        if (!DaemonPods.AllowsSurge(ds))
        {
            delete.AddRange(running.Skip(1).Select(p => new PodDeletion(p, Force: false)));
            return;
        }

        if (running.Count <= 1)
        {
            // Surging: a node keeps at least one pod that is not going away.
            if (running.Count == 0 && shouldRun)
            {
                create.Add(nodeName);
            }

            return;
        }

        // Surging allows two pods on a node: the oldest of the current revision while it is not yet available,
        // beside the oldest of an older one while that one is still ready.
        JsonObject? oldestNew = null, oldestOld = null;
        foreach (var pod in running)
        {
            var isNew = pod.Find("metadata.labels")?[DaemonPods.HashLabel]?.ToString() == hash;
            if (isNew && oldestNew is null)
            {
                oldestNew = pod;
            }
            else if (!isNew && oldestOld is null)
            {
                oldestOld = pod;
            }
            else
            {
                delete.Add(new PodDeletion(pod, Force: false));
            }
        }

        if (oldestNew is not null && oldestOld is not null
            && (!PodConditions.IsReady(oldestOld) || PodConditions.IsAvailable(oldestNew, MinReadySeconds(ds), Context.Time.GetUtcNow())))
        {
            delete.Add(new PodDeletion(oldestOld, Force: false));
        }
    }

    // kube's syncNodes: expectations first, then creations in slow-start batches (1, 2, 4, ... stopping after a
    // batch with a failure) and deletions in parallel, at most BurstReplicas of each per pass.
    private async Task SyncNodesAsync(string key, JsonObject ds, List<PodDeletion> delete, List<string> create, string hash, CancellationToken cancellationToken)
    {
        var creations = create.Take(BurstReplicas).ToList();
        var deletions = delete.DistinctBy(d => Informer.KeyOf(d.Pod)).Take(BurstReplicas).ToList();
        _expectations.Expect(key, creations.Count, deletions.Select(d => Informer.KeyOf(d.Pod)));

        var errors = new List<Exception>();
        var done = 0;
        for (var batch = 1; done < creations.Count; batch *= 2)
        {
            var size = Math.Min(batch, creations.Count - done);
            var results = await Task.WhenAll(creations.Skip(done).Take(size).Select(node => TryCreateAsync(key, ds, node, hash, cancellationToken)));
            done += size;
            errors.AddRange(results.OfType<Exception>());
            if (errors.Count > 0)
            {
                for (var skipped = done; skipped < creations.Count; skipped++)
                {
                    _expectations.CreationObserved(key);
                }

                break;
            }
        }

        var ns = ds.GetString("metadata.namespace");
        var deleteErrors = await Task.WhenAll(deletions.Select(async d =>
        {
            try
            {
                if (!await Client.DeleteAsync(ResourceRef.Pods, ns, d.Pod.GetString("metadata.name")!, cancellationToken, uid: d.Pod.GetString("metadata.uid"), gracePeriodSeconds: d.Force ? 0 : null))
                {
                    _expectations.DeletionObserved(key, Informer.KeyOf(d.Pod));
                }

                return null;
            }
            catch (KubeApiException e)
            {
                _expectations.DeletionObserved(key, Informer.KeyOf(d.Pod));
                return e;
            }
        }));
        errors.AddRange(deleteErrors.OfType<Exception>());
        if (errors.Count > 0)
        {
            ExceptionDispatchInfo.Throw(errors[0]);
        }
    }

    private async Task<Exception?> TryCreateAsync(string key, JsonObject ds, string nodeName, string hash, CancellationToken cancellationToken)
    {
        try
        {
            await Client.CreateAsync(ResourceRef.Pods, ds.GetString("metadata.namespace"), DaemonPods.NewPod(ds, nodeName, hash), cancellationToken);
            return null;
        }
        catch (KubeApiException e) when (!cancellationToken.IsCancellationRequested)
        {
            _expectations.CreationObserved(key);

            // Nothing more can be created in a namespace being torn down; that is no failure.
            return e.Reason == "Forbidden" && e.StatusMessage.Contains("being terminated", StringComparison.Ordinal) ? null : e;
        }
    }

    private static long MinReadySeconds(JsonObject ds) => ds.Find("spec.minReadySeconds") is JsonValue v ? v.ToLong() : 0;

    private sealed record PodDeletion(JsonObject Pod, bool Force);
}
