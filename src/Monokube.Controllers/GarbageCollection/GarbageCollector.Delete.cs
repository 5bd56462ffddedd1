using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Discovery;

namespace Monokube.Controllers.GarbageCollection;

/// <summary>The collector's decisions about one object: delete it, strip gone owners, finish a foreground or orphan deletion.</summary>
public sealed partial class GarbageCollector
{
    private enum OwnerState
    {
        Absent,
        Present,
        WaitingForDependents,

        /// <summary>A cluster-scoped object naming a namespaced owner: never resolvable, never collected.</summary>
        Invalid,
    }

    // An object with owners, as kube's attemptToDeleteItem judges it: from its live state (the graph may lag), each
    // owner looked up, then kept, stripped of gone owners, or deleted under uid and resourceVersion preconditions.
    private async Task AttemptToDeleteAsync(GraphNode node, CancellationToken cancellationToken)
    {
        var resource = node.Resource!.Ref;
        var latest = await Client.GetAsync(resource, node.Namespace, node.Name, cancellationToken);
        if (latest is null || Owners.Uid(latest) != node.Uid)
        {
            // Gone, or another object by now: the informer brings its deletion.
            return;
        }

        var owners = OwnerLink.Of(latest);
        if (owners.Count == 0)
        {
            return;
        }

        var dangling = new List<OwnerLink>();
        var waiting = new List<OwnerLink>();
        var solid = 0;
        foreach (var link in owners)
        {
            switch (await ClassifyAsync(link, node, cancellationToken))
            {
                case OwnerState.Invalid:
                    LogInvalidOwner(Logger, Describe(node), link.Kind, link.Name);
                    await ReportInvalidNamespaceAsync(latest, node, link, cancellationToken);
                    return;
                case OwnerState.Absent:
                    dangling.Add(link);
                    break;
                case OwnerState.WaitingForDependents:
                    waiting.Add(link);
                    break;
                default:
                    solid++;
                    break;
            }
        }

        if (solid > 0)
        {
            // Other owners keep it alive: forget the gone ones, and the ones waiting for it (which would otherwise
            // wait for ever), as kube does.
            if (dangling.Count > 0 || waiting.Count > 0)
            {
                var drop = dangling.Concat(waiting).Select(l => l.Uid).ToHashSet(StringComparer.Ordinal);
                await MutateAsync(node, obj =>
                {
                    var references = obj.Find("metadata.ownerReferences") as JsonArray ?? [];
                    var gone = references.OfType<JsonObject>().Where(r => r.GetString("uid") is { } uid && drop.Contains(uid)).ToList();
                    gone.ForEach(r => references.Remove(r));
                    return gone.Count > 0;
                }, cancellationToken);
            }

            return;
        }

        List<GraphNode> dependents;
        lock (_graph.Gate)
        {
            dependents = [.. node.Dependents.Select(_graph.Get).OfType<GraphNode>()];
        }

        string policy;
        if (waiting.Count > 0 && dependents.Count > 0)
        {
            // An owner waits for it and it has dependents of its own: it goes in foreground, so the wait covers them.
            // A dependent that is itself deleting its dependents may be waiting for this one (a cycle): this object's
            // references stop blocking first, or neither would ever finish.
            if (dependents.Any(d => d.DeletingDependents))
            {
                latest = await UnblockOwnerReferencesAsync(node, latest, cancellationToken) ?? latest;
            }

            policy = "Foreground";
        }
        else
        {
            var finalizers = (latest.Find("metadata.finalizers") as JsonArray ?? []).Select(f => f?.ToString()).ToList();
            policy = finalizers.Contains(OwnerGraph.OrphanFinalizer) ? "Orphan" : finalizers.Contains(OwnerGraph.ForegroundFinalizer) ? "Foreground" : "Background";
        }

        LogDeleting(Logger, Describe(node), policy);
        await DeleteUnchangedAsync(node, latest, policy, cancellationToken);
    }

    // An owner as the API has it now. The graph answers for an owner it has observed at the same coordinates (an
    // owner it holds is present, never absent on its word); anything else is a live read where the owner must be:
    // in the dependent's namespace, or cluster-wide for a cluster-scoped kind.
    private async Task<OwnerState> ClassifyAsync(OwnerLink link, GraphNode dependent, CancellationToken cancellationToken)
    {
        var resource = ResolveOrWait(link, dependent.Uid);
        if (resource.Ref.Namespaced && dependent.Namespace is null)
        {
            return OwnerState.Invalid;
        }

        GraphNode? known;
        lock (_graph.Gate)
        {
            known = _graph.Get(link.Uid) is { Virtual: false } observed ? observed : null;
        }

        if (known is not null)
        {
            if (resource.Ref.Namespaced && known.Namespace != dependent.Namespace)
            {
                // The owner lives in another namespace: the reference cannot name it (kube reports it, and the
                // dependent is judged by what its own namespace holds).
                await ReportInvalidNamespaceAsync(null, dependent, link, cancellationToken);
            }
            else if (known.Name == link.Name && known.Resource is { } ownerResource && ownerResource.Kind == link.Kind && ownerResource.Ref.Group == GroupOf(link.ApiVersion))
            {
                return known.DeletingDependents ? OwnerState.WaitingForDependents : OwnerState.Present;
            }
        }

        var owner = await Client.GetAsync(resource.Ref, resource.Ref.Namespaced ? dependent.Namespace : null, link.Name, cancellationToken);
        if (owner is null || Owners.Uid(owner) != link.Uid)
        {
            return OwnerState.Absent;
        }

        var deletingDependents = Owners.IsBeingDeleted(owner) && (owner.Find("metadata.finalizers") as JsonArray ?? []).Any(f => f?.ToString() == OwnerGraph.ForegroundFinalizer);
        return deletingDependents ? OwnerState.WaitingForDependents : OwnerState.Present;
    }

    private static string GroupOf(string apiVersion) => apiVersion.LastIndexOf('/') is var slash and >= 0 ? apiVersion[..slash] : "";

    // A Warning event on the dependent, once per reference, as kube's graph builder reports OwnerRefInvalidNamespace.
    private async Task ReportInvalidNamespaceAsync(JsonObject? latest, GraphNode dependent, OwnerLink link, CancellationToken cancellationToken)
    {
        lock (_reportedInvalid)
        {
            if (!_reportedInvalid.Add((dependent.Uid, link.Uid)))
            {
                return;
            }
        }

        var regarding = latest ?? new JsonObject
        {
            ["apiVersion"] = dependent.Resource!.Ref.ApiVersion,
            ["kind"] = dependent.Resource.Kind,
            ["metadata"] = new JsonObject { ["name"] = dependent.Name, ["namespace"] = dependent.Namespace, ["uid"] = dependent.Uid },
        };
        var note = $"ownerRef [{link.ApiVersion}/{link.Kind}, namespace: {dependent.Namespace}, name: {link.Name}, uid: {link.Uid}] does not exist in namespace \"{dependent.Namespace}\"";
        await _events.RecordAsync(regarding, "Warning", "OwnerRefInvalidNamespace", "GarbageCollect", note, cancellationToken);
    }

    // Sets blockOwnerDeletion to false on every reference that has it; the object as written, or null if nothing changed.
    private async Task<JsonObject?> UnblockOwnerReferencesAsync(GraphNode node, JsonObject latest, CancellationToken cancellationToken)
    {
        var obj = (JsonObject)latest.DeepClone();
        var blocking = (obj.Find("metadata.ownerReferences") as JsonArray ?? []).OfType<JsonObject>().Where(r => r.GetBool("blockOwnerDeletion")).ToList();
        if (blocking.Count == 0)
        {
            return null;
        }

        blocking.ForEach(r => r["blockOwnerDeletion"] = false);
        return await Client.UpdateAsync(node.Resource!.Ref, obj, cancellationToken);
    }

    // Deletes under the uid and resourceVersion read; if only something other than its owner references changed
    // since, once more under the uid alone (so that frequent unrelated writes cannot starve the collector).
    private async Task DeleteUnchangedAsync(GraphNode node, JsonObject latest, string policy, CancellationToken cancellationToken)
    {
        var resource = node.Resource!.Ref;
        var resourceVersion = latest.GetString("metadata.resourceVersion");
        try
        {
            await Client.DeleteAsync(resource, node.Namespace, node.Name, cancellationToken, propagationPolicy: policy, uid: node.Uid, resourceVersion: resourceVersion);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            var live = await Client.GetAsync(resource, node.Namespace, node.Name, cancellationToken);
            if (live is null)
            {
                return;
            }

            if (Owners.Uid(live) != node.Uid || live.GetString("metadata.resourceVersion") == resourceVersion
                || !JsonNode.DeepEquals(live.Find("metadata.ownerReferences"), latest.Find("metadata.ownerReferences")))
            {
                throw;
            }

            await Client.DeleteAsync(resource, node.Namespace, node.Name, cancellationToken, propagationPolicy: policy, uid: node.Uid);
        }
    }

    // An owner in foreground deletion: done when no dependent blocks it any more; until then each blocking
    // dependent not yet going is sent on its way.
    private async Task ProcessDeletingDependentsAsync(GraphNode node, CancellationToken cancellationToken)
    {
        var blocking = new List<string>();
        lock (_graph.Gate)
        {
            foreach (var dependentUid in node.Dependents)
            {
                if (_graph.Get(dependentUid) is { Virtual: false } dependent && dependent.Owners.Any(o => o.Uid == node.Uid && o.BlockOwnerDeletion))
                {
                    blocking.Add(dependentUid);
                }
            }
        }

        if (blocking.Count == 0)
        {
            await MutateAsync(node, obj => RemoveFinalizer(obj, OwnerGraph.ForegroundFinalizer), cancellationToken);
            return;
        }

        foreach (var dependent in blocking)
        {
            Queue.Add(dependent);
        }
    }

    // The orphan finalizer: every dependent stops naming this owner, then the finalizer goes.
    private async Task OrphanDependentsAsync(GraphNode node, CancellationToken cancellationToken)
    {
        List<GraphNode> dependents;
        lock (_graph.Gate)
        {
            dependents = [.. node.Dependents.Select(_graph.Get).OfType<GraphNode>().Where(d => !d.Virtual)];
        }

        foreach (var dependent in dependents)
        {
            await MutateAsync(dependent, obj =>
            {
                var references = obj.Find("metadata.ownerReferences") as JsonArray ?? [];
                var mine = references.OfType<JsonObject>().Where(r => r.GetString("uid") == node.Uid).ToList();
                foreach (var reference in mine)
                {
                    references.Remove(reference);
                }

                return mine.Count > 0;
            }, cancellationToken);
        }

        await MutateAsync(node, obj => RemoveFinalizer(obj, OwnerGraph.OrphanFinalizer), cancellationToken);
    }

    private static bool RemoveFinalizer(JsonObject obj, string finalizer)
    {
        if (obj.Find("metadata.finalizers") is not JsonArray finalizers)
        {
            return false;
        }

        var found = finalizers.Where(f => f?.ToString() == finalizer).ToList();
        foreach (var item in found)
        {
            finalizers.Remove(item);
        }

        return found.Count > 0;
    }

    // Reads the object fresh, changes it and writes it back under its resourceVersion; a conflict retries the key.
    private async Task MutateAsync(GraphNode node, Func<JsonObject, bool> change, CancellationToken cancellationToken)
    {
        var resource = node.Resource!.Ref;
        var obj = await Client.GetAsync(resource, node.Namespace, node.Name, cancellationToken);
        if (obj is null || Owners.Uid(obj) != node.Uid || !change(obj))
        {
            return;
        }

        await Client.UpdateAsync(resource, obj, cancellationToken);
    }
}
