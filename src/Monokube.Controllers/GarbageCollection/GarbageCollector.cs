using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Discovery;

namespace Monokube.Controllers.GarbageCollection;

/// <summary>
/// kube-controller-manager's garbage collector: watches every resource that can be listed, watched and deleted
/// (found by discovery, looked for again every 30 s and at once when an owner's kind is not known, so new custom
/// resources join), keeps the ownership graph, and
/// <list type="bullet">
/// <item>deletes an object whose owners are all gone (by the policy its own finalizers ask for), or whose owners
/// wait for it in foreground deletion (itself in foreground when it has dependents of its own);</item>
/// <item>drops references to owners that are gone, or that wait for it, while other owners remain;</item>
/// <item>removes the foregroundDeletion finalizer once no dependent with blockOwnerDeletion is left;</item>
/// <item>releases the dependents of an object deleted with the orphan finalizer, then removes that finalizer.</item>
/// </list>
/// It never deletes on a doubt: an owner whose kind discovery does not (yet) know is waited for, an owner is absent
/// only when a live read finds no object of that name and uid, and a cluster-scoped object naming a namespaced owner
/// is left alone. docs/controllers.md states the rules.
/// </summary>
public sealed partial class GarbageCollector : Controller
{
    private static readonly TimeSpan ResyncPeriod = TimeSpan.FromSeconds(30);

    // How often an owner of an unknown kind may ask for discovery again.
    private static readonly TimeSpan UnknownKindSyncInterval = TimeSpan.FromSeconds(1);

    // Events are not collected, as in kube (ignoredResources).
    private static readonly HashSet<(string Group, string Plural)> Ignored = [("", "events"), ("events.k8s.io", "events")];

    private readonly OwnerGraph _graph = new();
    private readonly HashSet<ResourceRef> _monitored = [];
    private readonly SemaphoreSlim _syncGate = new(1, 1);
    private readonly Func<CancellationToken, Task<ApiResources>> _discover;
    private readonly EventRecorder _events;
    private readonly Lock _waitingGate = new();
    private readonly HashSet<string> _waitingForKinds = new(StringComparer.Ordinal);
    private readonly HashSet<(string Dependent, string Owner)> _reportedInvalid = [];
    private DateTimeOffset _lastUnknownKindSync = DateTimeOffset.MinValue;
    private CancellationToken _stopping;
    private volatile ApiResources? _resources;

    /// <param name="context">The controller's client, informers and clock.</param>
    /// <param name="discover">How the collector learns what the server serves (discovery by default; tests hold it back).</param>
    public GarbageCollector(ControllerContext context, Func<CancellationToken, Task<ApiResources>>? discover = null)
        : base("garbage-collector-controller", context)
    {
        _discover = discover ?? (cancellationToken => ApiResources.DiscoverAsync(Client, cancellationToken));
        _events = new EventRecorder(context.Client, context.Time, Name, Environment.MachineName, Logger);
    }

    protected override int Workers => 5;

    protected override async Task OnStartedAsync(CancellationToken cancellationToken)
    {
        _stopping = cancellationToken;
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

    // Starts an informer for every collectable resource not yet watched and feeds what it already holds; then
    // whatever waited for an unknown kind is looked at again.
    private async Task SyncMonitorsAsync(CancellationToken cancellationToken)
    {
        await _syncGate.WaitAsync(cancellationToken);
        try
        {
            var resources = await _discover(cancellationToken);
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
        finally
        {
            _syncGate.Release();
        }

        string[] waiting;
        lock (_waitingGate)
        {
            waiting = [.. _waitingForKinds];
            _waitingForKinds.Clear();
        }

        foreach (var uid in waiting)
        {
            Queue.Add(uid);
        }
    }

    // An owner's kind that discovery did not know: discovery is asked again (at most once a second), and the object
    // that named it waits for that instead of being judged on a guess.
    private DiscoveredResource ResolveOrWait(OwnerLink link, string waiter)
    {
        if (_resources?.Find(link.ApiVersion, link.Kind) is { } resource)
        {
            return resource;
        }

        bool sync;
        lock (_waitingGate)
        {
            _waitingForKinds.Add(waiter);
            var now = Context.Time.GetUtcNow();
            sync = now - _lastUnknownKindSync >= UnknownKindSyncInterval;
            if (sync)
            {
                _lastUnknownKindSync = now;
            }
        }

        if (sync)
        {
            _ = Task.Run(SyncForUnknownKindAsync, CancellationToken.None);
        }

        throw new RetryLaterException($"the owner kind {link.Kind} in {link.ApiVersion} is not served (yet); waiting for discovery before judging {link.Name}");
    }

    private async Task SyncForUnknownKindAsync()
    {
        try
        {
            await SyncMonitorsAsync(_stopping);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is KubeApiException or HttpRequestException)
        {
            LogDiscoveryFailed(Logger, e.Message);
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
    // looked at; if it does, it is looked at again until its informer brings it, as kube requeues a virtual node.
    private async Task VerifyVirtualAsync(GraphNode node, CancellationToken cancellationToken)
    {
        // The reference that names it tells what it is; any dependent's will do.
        OwnerLink? link = null;
        string? ns = null;
        lock (_graph.Gate)
        {
            foreach (var dependentUid in node.Dependents)
            {
                if (_graph.Get(dependentUid) is { } dependent && dependent.Owners.FirstOrDefault(o => o.Uid == node.Uid) is { } found)
                {
                    link = found;
                    ns = dependent.Namespace;
                    break;
                }
            }
        }

        if (link is not null)
        {
            var resource = ResolveOrWait(link, node.Uid);

            // A namespaced owner named by a cluster-scoped object has no namespace to be found in: its dependents
            // decide (they will find the reference invalid and stay).
            if (!resource.Ref.Namespaced || ns is not null)
            {
                var owner = await Client.GetAsync(resource.Ref, resource.Ref.Namespaced ? ns : null, link.Name, cancellationToken);
                if (owner is not null && Owners.Uid(owner) == node.Uid)
                {
                    throw new RetryLaterException($"{link.Kind} {link.Name} exists but has not been observed yet");
                }
            }
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

    private static string Describe(GraphNode node) =>
        $"{node.Resource?.Ref} {(node.Namespace is null ? "" : node.Namespace + "/")}{node.Name}";

    [LoggerMessage(EventId = 7501, Level = LogLevel.Debug, Message = "garbage collector: deleting {Object} ({Policy})")]
    private static partial void LogDeleting(ILogger logger, string @object, string policy);

    [LoggerMessage(EventId = 7503, Level = LogLevel.Information, Message = "garbage collector: {Object} is cluster-scoped but names the namespaced {Kind} {Owner} as an owner; it is never collected")]
    private static partial void LogInvalidOwner(ILogger logger, string @object, string kind, string owner);

    [LoggerMessage(EventId = 7502, Level = LogLevel.Warning, Message = "garbage collector: discovery failed: {Reason}")]
    private static partial void LogDiscoveryFailed(ILogger logger, string reason);
}
