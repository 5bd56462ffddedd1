using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Workloads;

/// <summary>
/// kube's updateDaemonSetStatus: per node that should run a pod, whether one is there and whether the oldest is
/// ready, available and of the current revision; pods on nodes that should not run one are misscheduled.
/// </summary>
public sealed partial class DaemonSetController
{
    private async Task UpdateStatusAsync(JsonObject ds, LabelSelector selector, List<JsonObject> nodes, string hash, bool observeGeneration, CancellationToken cancellationToken)
    {
        var nodeToPods = await NodesToDaemonPodsAsync(ds, selector, includeDeletedTerminal: false, cancellationToken);
        var now = Context.Time.GetUtcNow();
        var minReady = MinReadySeconds(ds);
        var generation = DaemonPods.TemplateGeneration(ds);
        int desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0, available = 0;
        foreach (var node in nodes)
        {
            var scheduled = nodeToPods.TryGetValue(node.GetString("metadata.name")!, out var pods) && pods.Count > 0;
            if (!DaemonPods.ShouldRun(node, ds).ShouldRun)
            {
                misscheduled += scheduled ? 1 : 0;
                continue;
            }

            desired++;
            if (!scheduled)
            {
                continue;
            }

            current++;
            var oldest = pods!.Order(Comparer<JsonObject>.Create(DaemonPods.CompareOldestFirst)).First();
            if (PodConditions.IsReady(oldest))
            {
                ready++;
                available += PodConditions.IsAvailable(oldest, minReady, now) ? 1 : 0;
            }

            updated += DaemonPods.IsUpdated(oldest, hash, generation) ? 1 : 0;
        }

        var dsGeneration = ds.Find("metadata.generation")?.ToLong() ?? 0;
        var status = ds["status"] as JsonObject ?? [];
        int Count(string field) => status.GetLong(field) is { } v ? (int)v : 0;
        var unchanged = Count("desiredNumberScheduled") == desired && Count("currentNumberScheduled") == current
            && Count("numberMisscheduled") == misscheduled && Count("numberReady") == ready
            && Count("updatedNumberScheduled") == updated && Count("numberAvailable") == available
            && Count("numberUnavailable") == desired - available && (status.GetLong("observedGeneration") ?? 0) >= dsGeneration;
        if (!unchanged)
        {
            await StoreStatusAsync(ds, observeGeneration, [desired, current, misscheduled, ready, updated, available], cancellationToken);
        }

        // Pods turn available minReadySeconds after they turn ready: look again then (and against clock skew).
        if (minReady > 0 && ready != available)
        {
            Queue.AddAfter(Informer.KeyOf(ds), TimeSpan.FromSeconds(minReady));
        }
    }

    // The counts, in DaemonSetStatus's order; a stale copy is fetched again once, as kube does before giving up.
    private async Task StoreStatusAsync(JsonObject ds, bool observeGeneration, int[] counts, CancellationToken cancellationToken)
    {
        var toUpdate = (JsonObject)ds.DeepClone();
        for (var attempt = 0; ; attempt++)
        {
            var status = toUpdate.GetOrAddObject("status");
            if (observeGeneration)
            {
                status["observedGeneration"] = ds.Find("metadata.generation")?.DeepClone();
            }

            var (desired, current, misscheduled, ready, updated, available) = (counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
            status["currentNumberScheduled"] = current;
            status["numberMisscheduled"] = misscheduled;
            status["desiredNumberScheduled"] = desired;
            status["numberReady"] = ready;

            // These four are omitempty in kube's DaemonSetStatus.
            status.SetOrRemove("updatedNumberScheduled", updated == 0 ? null : updated);
            status.SetOrRemove("numberAvailable", available == 0 ? null : available);
            status.SetOrRemove("numberUnavailable", desired - available == 0 ? null : desired - available);
            try
            {
                await Client.UpdateAsync(ResourceRef.DaemonSets, toUpdate, cancellationToken, "status");
                return;
            }
            catch (KubeApiException e) when (e.IsConflict && attempt == 0)
            {
                if (await Client.GetAsync(ResourceRef.DaemonSets, ds.GetString("metadata.namespace"), ds.GetString("metadata.name")!, cancellationToken) is not { } fresh)
                {
                    return;
                }

                toUpdate = fresh;
            }
        }
    }
}
