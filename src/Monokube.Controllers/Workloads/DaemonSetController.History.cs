using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;
using Monokube.Controllers.Client;
using Monokube.Controllers.Hashing;

namespace Monokube.Controllers.Workloads;

/// <summary>
/// A DaemonSet's history, as kube keeps it: one ControllerRevision per template, named &lt;daemonset&gt;-&lt;hash&gt;,
/// whose data is the template as a patch; the current one numbered above every other (so a rollback, which
/// re-applies an old revision's data, renumbers that revision); duplicates merged; old revisions no live pod uses
/// pruned to revisionHistoryLimit.
/// </summary>
public sealed partial class DaemonSetController
{
    private async Task<(JsonObject Current, List<JsonObject> Old)> ConstructHistoryAsync(JsonObject ds, LabelSelector selector, CancellationToken cancellationToken)
    {
        var ns = ds.GetString("metadata.namespace");
        var revisions = await new ControllerRefManager(Client, ResourceRef.ControllerRevisions, ds, ApiVersion, Kind, selector)
            .ClaimAsync(_revisions.Items.Values.Where(r => r.GetString("metadata.namespace") == ns), cancellationToken);
        var patch = JsonNode.Parse(TemplateHash.DaemonSetRevisionData(Template(ds)));
        var current = new List<JsonObject>();
        var old = new List<JsonObject>();
        foreach (var found in revisions)
        {
            var revision = found;
            if (revision.Find("metadata.labels")?[DaemonPods.HashLabel] is null)
            {
                // The name stands in for the hash, so no hash collision can arise.
                revision = (JsonObject)revision.DeepClone();
                revision["metadata"]!.AsObject().GetOrAddObject("labels")[DaemonPods.HashLabel] = revision.GetString("metadata.name");
                revision = await Client.UpdateAsync(ResourceRef.ControllerRevisions, revision, cancellationToken);
            }

            (JsonNode.DeepEquals(revision["data"], patch) ? current : old).Add(revision);
        }

        var next = old.Select(Revision).DefaultIfEmpty(0).Max() + 1;
        if (current.Count == 0)
        {
            return (await SnapshotAsync(ds, patch!, next, cancellationToken), old);
        }

        var cur = await DedupAsync(ds, selector, current, cancellationToken);
        if (Revision(cur) < next)
        {
            var renumbered = (JsonObject)cur.DeepClone();
            renumbered["revision"] = next;
            cur = await Client.UpdateAsync(ResourceRef.ControllerRevisions, renumbered, cancellationToken);
        }

        return (cur, old);
    }

    // The revision of the current template; when another template already holds its name, collisionCount goes up
    // (changing the hash) and the sync fails to be retried.
    private async Task<JsonObject> SnapshotAsync(JsonObject ds, JsonNode patch, long number, CancellationToken cancellationToken)
    {
        var ns = ds.GetString("metadata.namespace");
        var collisions = ds.Find("status.collisionCount") is JsonValue c ? c.ToLong() : (long?)null;
        var hash = TemplateHash.Compute(Template(ds), collisions);
        var name = ds.GetString("metadata.name") + "-" + hash;
        var labels = ds.Find("spec.template.metadata.labels")?.DeepClone() as JsonObject ?? [];
        labels[DaemonPods.HashLabel] = hash;
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["labels"] = labels,
            ["ownerReferences"] = new JsonArray((JsonNode)Owners.ControllerRef(ds, ApiVersion, Kind)),
        };
        if (ds.Find("metadata.annotations") is JsonObject annotations)
        {
            metadata["annotations"] = annotations.DeepClone();
        }

        var revision = new JsonObject
        {
            ["apiVersion"] = ApiVersion,
            ["kind"] = "ControllerRevision",
            ["metadata"] = metadata,
            ["data"] = patch.DeepClone(),
            ["revision"] = number,
        };
        try
        {
            return await Client.CreateAsync(ResourceRef.ControllerRevisions, ns, revision, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            var existing = await Client.GetAsync(ResourceRef.ControllerRevisions, ns, name, cancellationToken);
            if (existing is not null && JsonNode.DeepEquals(existing["data"], patch))
            {
                return existing;
            }

            var fresh = await Client.GetAsync(ResourceRef.DaemonSets, ns, ds.GetString("metadata.name")!, cancellationToken)
                ?? throw new KubeApiException(System.Net.HttpStatusCode.NotFound, "NotFound", $"daemonset {ns}/{ds.GetString("metadata.name")} is gone");
            var status = fresh.GetOrAddObject("status");
            var count = (status.GetLong("collisionCount") ?? 0) + 1;
            status["collisionCount"] = count;
            await Client.UpdateAsync(ResourceRef.DaemonSets, fresh, cancellationToken, "status");
            LogCollision(Logger, ns + "/" + ds.GetString("metadata.name"), count);
            throw;
        }
    }

    // Keeps the highest-numbered of several revisions of the current template, moving pods onto its hash first.
    private async Task<JsonObject> DedupAsync(JsonObject ds, LabelSelector selector, List<JsonObject> current, CancellationToken cancellationToken)
    {
        if (current.Count == 1)
        {
            return current[0];
        }

        var keep = current.MaxBy(Revision)!;
        var keepHash = keep.Find("metadata.labels")?[DaemonPods.HashLabel]?.ToString();

        // Only pods of the duplicates move (kube moves every pod not on the kept hash, old revisions' too).
        var duplicateHashes = current.Where(r => r != keep).Select(r => r.Find("metadata.labels")?[DaemonPods.HashLabel]?.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var pods in (await NodesToDaemonPodsAsync(ds, selector, includeDeletedTerminal: true, cancellationToken)).Values)
        {
            foreach (var pod in pods.Where(p => duplicateHashes.Contains(p.Find("metadata.labels")?[DaemonPods.HashLabel]?.ToString())))
            {
                // A patch, as its role (system:controller:daemon-set-controller) may patch pods but not update them.
                var relabel = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [DaemonPods.HashLabel] = keepHash } } };
                await Client.PatchAsync(ResourceRef.Pods, pod.GetString("metadata.namespace"), pod.GetString("metadata.name")!, "application/strategic-merge-patch+json", relabel, cancellationToken);
            }
        }

        foreach (var duplicate in current.Where(r => r != keep))
        {
            await Client.DeleteAsync(ResourceRef.ControllerRevisions, duplicate.GetString("metadata.namespace"), duplicate.GetString("metadata.name")!, cancellationToken);
        }

        return keep;
    }

    // kube's cleanupHistory: beyond revisionHistoryLimit, the oldest revisions no pod still runs are deleted.
    private async Task CleanupHistoryAsync(JsonObject ds, LabelSelector selector, List<JsonObject> old, CancellationToken cancellationToken)
    {
        var limit = ds.Find("spec.revisionHistoryLimit") is JsonValue l ? l.ToInt() : 10;
        var excess = old.Count - limit;
        if (excess <= 0)
        {
            return;
        }

        var liveHashes = (await NodesToDaemonPodsAsync(ds, selector, includeDeletedTerminal: true, cancellationToken)).Values
            .SelectMany(pods => pods)
            .Select(p => p.Find("metadata.labels")?[DaemonPods.HashLabel]?.ToString())
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        foreach (var revision in old.OrderBy(Revision))
        {
            if (excess <= 0)
            {
                break;
            }

            if (liveHashes.Contains(revision.Find("metadata.labels")?[DaemonPods.HashLabel]?.ToString() ?? ""))
            {
                continue;
            }

            await Client.DeleteAsync(ResourceRef.ControllerRevisions, revision.GetString("metadata.namespace"), revision.GetString("metadata.name")!, cancellationToken);
            excess--;
        }
    }

    private static JsonObject Template(JsonObject ds) => ds.Find("spec.template") as JsonObject ?? [];

    private static long Revision(JsonObject revision) => revision.GetLong("revision") ?? 0;
}
