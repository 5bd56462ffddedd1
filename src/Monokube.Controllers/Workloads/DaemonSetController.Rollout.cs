using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;

namespace Monokube.Controllers.Workloads;

/// <summary>
/// kube's rollingUpdate: without surge, old pods are deleted while fewer than maxUnavailable nodes lack an available
/// pod (the core loop then creates their replacements); with surge, new pods are created beside old ones, up to
/// maxSurge at a time, and an old pod goes once its node's new pod is available.
/// </summary>
public sealed partial class DaemonSetController
{
    private async Task RollingUpdateAsync(string key, JsonObject ds, LabelSelector selector, List<JsonObject> nodes, string hash, CancellationToken cancellationToken)
    {
        var nodeToPods = await NodesToDaemonPodsAsync(ds, selector, includeDeletedTerminal: false, cancellationToken);
        var desired = 0;
        foreach (var node in nodes.Where(n => DaemonPods.ShouldRun(n, ds).ShouldRun))
        {
            desired++;
            nodeToPods.TryAdd(node.GetString("metadata.name")!, []);
        }

        var (maxSurge, maxUnavailable) = DaemonPods.SurgeAndUnavailable(ds, desired);
        var (delete, create) = maxSurge == 0
            ? (WithoutSurge(ds, nodeToPods, hash, maxUnavailable), [])
            : WithSurge(ds, nodes, nodeToPods, hash, maxSurge, desired);
        await SyncNodesAsync(key, ds, [.. delete.Select(p => new PodDeletion(p, Force: false))], create, hash, cancellationToken);
    }

    // Deleted pods do not count as unavailable, so an update moves on while nodes are down.
    private List<JsonObject> WithoutSurge(JsonObject ds, Dictionary<string, List<JsonObject>> nodeToPods, string hash, int maxUnavailable)
    {
        var now = Context.Time.GetUtcNow();
        var minReady = MinReadySeconds(ds);
        var unavailable = 0;
        var replacements = new List<JsonObject>();
        var candidates = new List<JsonObject>();
        foreach (var (_, pods) in nodeToPods)
        {
            if (!NewAndOld(ds, pods, hash, out var newPod, out var oldPod))
            {
                // Too many pods here: the core loop cleans up first; meanwhile the node counts as unavailable.
                unavailable++;
                continue;
            }

            if ((newPod is null) == (oldPod is null))
            {
                // Nothing yet, or both: the core loop creates or deletes.
                unavailable++;
            }
            else if (newPod is not null)
            {
                if (!PodConditions.IsAvailable(newPod, minReady, now))
                {
                    unavailable++;
                }
            }
            else if (!PodConditions.IsAvailable(oldPod!, minReady, now))
            {
                // An unavailable old pod is replaced at once.
                replacements.Add(oldPod!);
                unavailable++;
            }
            else if (unavailable < maxUnavailable)
            {
                candidates.Add(oldPod!);
            }
        }

        var room = Math.Clamp(maxUnavailable - unavailable, 0, candidates.Count);
        return [.. replacements, .. candidates.Take(room)];
    }

    // With maxSurge the owner expects every node to keep an available pod: a pod on a node it no longer fits goes
    // only when another has become available in its stead.
    private (List<JsonObject> Delete, List<string> Create) WithSurge(JsonObject ds, List<JsonObject> nodes, Dictionary<string, List<JsonObject>> nodeToPods, string hash, int maxSurge, int desired)
    {
        var now = Context.Time.GetUtcNow();
        var minReady = MinReadySeconds(ds);
        var byName = nodes.ToDictionary(n => n.GetString("metadata.name")!, StringComparer.Ordinal);
        bool ShouldRun(string node) => byName.TryGetValue(node, out var n) && DaemonPods.ShouldRun(n, ds).ShouldRun;

        var delete = new List<JsonObject>();
        var notFitting = new List<JsonObject>();
        var replacementNodes = new List<string>();
        var candidateNodes = new List<string>();
        var surging = 0;
        var available = 0;
        foreach (var (node, pods) in nodeToPods)
        {
            if (!NewAndOld(ds, pods, hash, out var newPod, out var oldPod))
            {
                surging++;
                continue;
            }

            if ((oldPod ?? newPod) is { } counted && PodConditions.IsAvailable(counted, minReady, now))
            {
                available++;
            }

            if (oldPod is null)
            {
                continue;
            }

            if (newPod is null)
            {
                if (!PodConditions.IsAvailable(oldPod, minReady, now))
                {
                    if (ShouldRun(node))
                    {
                        replacementNodes.Add(node);
                    }
                    else
                    {
                        delete.Add(oldPod);
                    }
                }
                else if (!ShouldRun(node))
                {
                    notFitting.Add(oldPod);
                }
                else if (surging < maxSurge)
                {
                    candidateNodes.Add(node);
                }

                continue;
            }

            if (PodConditions.IsAvailable(newPod, minReady, now))
            {
                delete.Add(oldPod);
            }
            else
            {
                surging++;
            }
        }

        delete.AddRange(notFitting.Take(Math.Max(0, available - desired)));
        var room = Math.Clamp(maxSurge - surging, 0, candidateNodes.Count);
        return (delete, [.. replacementNodes, .. candidateNodes.Take(room)]);
    }

    // kube's findUpdatedPodsOnNode: the node's one current and one older pod (pods going away aside); false when
    // it has more than one of either.
    private static bool NewAndOld(JsonObject ds, List<JsonObject> pods, string hash, out JsonObject? newPod, out JsonObject? oldPod)
    {
        newPod = null;
        oldPod = null;
        var generation = DaemonPods.TemplateGeneration(ds);
        foreach (var pod in pods.Where(p => !Owners.IsBeingDeleted(p)))
        {
            if (DaemonPods.IsUpdated(pod, hash, generation))
            {
                if (newPod is not null)
                {
                    return false;
                }

                newPod = pod;
            }
            else
            {
                if (oldPod is not null)
                {
                    return false;
                }

                oldPod = pod;
            }
        }

        return true;
    }
}
