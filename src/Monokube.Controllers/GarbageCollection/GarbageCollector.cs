using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Discovery;

namespace Monokube.Controllers.GarbageCollection;

/// <summary>
/// kube-controller-manager's garbage collector: watches every resource that can be listed, watched and deleted
/// (found by discovery, looked for again every 30 s so new custom resources join), keeps the ownership graph, and
/// <list type="bullet">
/// <item>deletes an object whose owners are all gone (background), or whose owners wait for it in foreground
/// deletion (itself in foreground when it has dependents of its own);</item>
/// <item>drops references to owners that are gone while other owners remain;</item>
/// <item>removes the foregroundDeletion finalizer once no dependent with blockOwnerDeletion is left;</item>
/// <item>releases the dependents of an object deleted with the orphan finalizer, then removes that finalizer.</item>
/// </list>
/// </summary>
public sealed partial class GarbageCollector : Controller
{
    private static readonly TimeSpan ResyncPeriod = TimeSpan.FromSeconds(30);

    // Events are not collected, as in kube (ignoredResources).
    private static readonly HashSet<(string Group, string Plural)> Ignored = [("", "events"), ("events.k8s.io", "events")];

    private readonly OwnerGraph _graph = new();
    private readonly HashSet<ResourceRef> _monitored = [];
    private ApiResources? _resources;

    public GarbageCollector(ControllerContext context)
        : base("garbage-collector-controller", context)
    {
    }

    protected override int Workers => 5;

    protected override async Task OnStartedAsync(CancellationToken cancellationToken)
    {
        await SyncMonitorsAsync(cancellationToken);
        _ = Task.Run(() => ResyncLoopAsync(cancellationToken), CancellationToken.None);
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        GraphNode? node;
        lock (_graph.Gate)
        {
            node = _graph.Get(key);
        }

        if (node is null)
        {
            return;
        }

        if (node.Virtual)
        {
            await VerifyVirtualAsync(node, cancellationToken);
            return;
        }

        if (node.Orphaning)
        {
            await OrphanDependentsAsync(node, cancellationToken);
            return;
        }

        if (node.DeletingDependents)
        {
            await ProcessDeletingDependentsAsync(node, cancellationToken);
            return;
        }

        if (!node.BeingDeleted && node.Owners.Count > 0)
        {
            await AttemptToDeleteAsync(node, cancellationToken);
        }
    }

    private async Task ResyncLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ResyncPeriod, Context.Time, cancellationToken);
                await SyncMonitorsAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException)
            {
                LogDiscoveryFailed(Logger, e.Message);
            }
        }
    }

    // Starts an informer for every collectable resource not yet watched and feeds what it already holds.
    private async Task SyncMonitorsAsync(CancellationToken cancellationToken)
    {
        var resources = await ApiResources.DiscoverAsync(Client, cancellationToken);
        _resources = resources;
        foreach (var resource in resources.Preferred.Where(r => r.Supports("list", "watch", "delete") && !Ignored.Contains((r.Ref.Group, r.Ref.Plural))))
        {
            if (!_monitored.Add(resource.Ref))
            {
                continue;
            }

            // A fresh informer reports its first list, one already synced replays what it holds.
            var informer = Context.Informers.For(resource.Ref);
            Subscribe(informer, e => OnEvent(resource, e.Type, e.Object));
            informer.Start();
            await informer.WaitForSyncAsync(cancellationToken);
        }
    }

    private void OnEvent(DiscoveredResource resource, Informers.InformerEventType type, JsonObject obj)
    {
        HashSet<string> touched;
        lock (_graph.Gate)
        {
            touched = type == Informers.InformerEventType.Deleted ? _graph.Remove(obj) : _graph.Upsert(resource, obj);
        }

        foreach (var uid in touched)
        {
            Queue.Add(uid);
        }
    }

    // An owner seen only in references: if it does not exist (or is another object by now), its dependents are
    // orphans to look at; if it does, the informer will bring it (or it is of a kind not watched).
    private async Task VerifyVirtualAsync(GraphNode node, CancellationToken cancellationToken)
    {
        if (await OwnerExistsAsync(node, cancellationToken))
        {
            return;
        }

        IReadOnlyList<string> dependents;
        lock (_graph.Gate)
        {
            dependents = _graph.RemoveVirtual(node.Uid);
        }

        foreach (var dependent in dependents)
        {
            Queue.Add(dependent);
        }
    }

    private async Task<bool> OwnerExistsAsync(GraphNode virtualNode, CancellationToken cancellationToken)
    {
        // The reference that names it tells what it is; any dependent's will do.
        OwnerLink? link = null;
        string? ns = null;
        lock (_graph.Gate)
        {
            foreach (var dependentUid in virtualNode.Dependents)
            {
                if (_graph.Get(dependentUid) is { } dependent && dependent.Owners.FirstOrDefault(o => o.Uid == virtualNode.Uid) is { } found)
                {
                    link = found;
                    ns = dependent.Namespace;
                    break;
                }
            }
        }

        if (link is null)
        {
            return false;
        }

        var state = await LookUpAsync(link, ns, cancellationToken);
        return state is not OwnerState.Absent;
    }

    private enum OwnerState
    {
        Absent,
        Present,
        WaitingForDependents,
    }

    // An owner as the API has it now: the graph's view when the informer holds it, else a live read.
    private async Task<OwnerState> LookUpAsync(OwnerLink link, string? dependentNamespace, CancellationToken cancellationToken)
    {
        lock (_graph.Gate)
        {
            if (_graph.Get(link.Uid) is { Virtual: false } known)
            {
                return known.DeletingDependents ? OwnerState.WaitingForDependents : OwnerState.Present;
            }
        }

        var resource = _resources?.Find(link.ApiVersion, link.Kind);
        if (resource is null)
        {
            // A kind the server does not serve (any more): nothing to find, as kube treats an unresolvable owner.
            return OwnerState.Absent;
        }

        var owner = await Client.GetAsync(resource.Ref, resource.Ref.Namespaced ? dependentNamespace : null, link.Name, cancellationToken);
        if (owner is null || Owners.Uid(owner) != link.Uid)
        {
            return OwnerState.Absent;
        }

        var deletingDependents = Owners.IsBeingDeleted(owner) && (owner.Find("metadata.finalizers") as JsonArray ?? []).Any(f => f?.ToString() == OwnerGraph.ForegroundFinalizer);
        return deletingDependents ? OwnerState.WaitingForDependents : OwnerState.Present;
    }

    private async Task AttemptToDeleteAsync(GraphNode node, CancellationToken cancellationToken)
    {
        var dangling = new List<OwnerLink>();
        var waiting = new List<OwnerLink>();
        var solid = 0;
        foreach (var link in node.Owners)
        {
            switch (await LookUpAsync(link, node.Namespace, cancellationToken))
            {
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
            // Other owners keep it alive: forget the gone ones, and stop blocking owners deleting in foreground.
            if (dangling.Count > 0 || waiting.Any(w => w.BlockOwnerDeletion))
            {
                await MutateAsync(node, obj =>
                {
                    var references = obj.Find("metadata.ownerReferences") as JsonArray ?? [];
                    foreach (var reference in references.OfType<JsonObject>().ToList())
                    {
                        var uid = reference.GetString("uid");
                        if (dangling.Any(d => d.Uid == uid))
                        {
                            references.Remove(reference);
                        }
                        else if (waiting.Any(w => w.Uid == uid))
                        {
                            reference["blockOwnerDeletion"] = false;
                        }
                    }

                    return true;
                }, cancellationToken);
            }

            return;
        }

        bool hasDependents;
        lock (_graph.Gate)
        {
            hasDependents = node.Dependents.Count > 0;
        }

        // Every owner is gone or waiting for it: it goes, in foreground when an owner waits and it has dependents
        // of its own (so the wait covers them), else by the policy its own finalizers ask for.
        var policy = waiting.Count > 0 && hasDependents ? "Foreground" : "Background";
        LogDeleting(Logger, Describe(node), policy);
        await Client.DeleteAsync(node.Resource!.Ref, node.Namespace, node.Name, cancellationToken, propagationPolicy: policy, uid: node.Uid);
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

    private static string Describe(GraphNode node) =>
        $"{node.Resource?.Ref} {(node.Namespace is null ? "" : node.Namespace + "/")}{node.Name}";

    [LoggerMessage(EventId = 7501, Level = LogLevel.Debug, Message = "garbage collector: deleting {Object} ({Policy})")]
    private static partial void LogDeleting(ILogger logger, string @object, string policy);

    [LoggerMessage(EventId = 7502, Level = LogLevel.Warning, Message = "garbage collector: discovery failed: {Reason}")]
    private static partial void LogDiscoveryFailed(ILogger logger, string reason);
}
