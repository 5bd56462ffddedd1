using System.Runtime.ExceptionServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;
using Monokube.Controllers.Queue;

namespace Monokube.Controllers.Workloads;

/// <summary>
/// kube-controller-manager's daemonset controller: one pod per node the template fits (node selector, required
/// affinity, taints against the template's tolerations plus the daemon defaults), created with a node-name affinity
/// for the scheduler to bind; pods removed from nodes that no longer fit, failed pods replaced with backoff;
/// ControllerRevisions named &lt;daemonset&gt;-&lt;hash&gt; with kube's hash and data; RollingUpdate within maxUnavailable
/// and maxSurge, or OnDelete; and kube's status counts.
/// </summary>
public sealed partial class DaemonSetController : Controller
{
    private const string ApiVersion = "apps/v1";
    private const string Kind = "DaemonSet";
    private const int BurstReplicas = 250;

    private readonly Informer _daemonSets;
    private readonly Informer _pods;
    private readonly OwnerIndex _podsByOwner = new();
    private readonly Informer _nodes;
    private readonly Informer _revisions;
    private readonly Expectations _expectations;
    private readonly KeyedBackoff _failedPodsBackoff;
    private readonly EventRecorder _events;

    public DaemonSetController(ControllerContext context)
        : base("daemonset-controller", context)
    {
        _expectations = new Expectations(context.Time);
        _failedPodsBackoff = new KeyedBackoff(context.Time, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(15));
        _events = new EventRecorder(context.Client, context.Time, Name, Environment.MachineName, Logger);
        _daemonSets = Watch(ResourceRef.DaemonSets, e => Queue.Add(e.Key));
        _pods = Watch(ResourceRef.Pods, OnPod);
        _nodes = Watch(ResourceRef.Nodes, OnNode);
        _revisions = Watch(ResourceRef.ControllerRevisions, OnRevision);
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_daemonSets.Get(key) is not { } ds)
        {
            _expectations.Forget(key);
            return;
        }

        var selector = ds.Find("spec.selector") is JsonObject s ? LabelSelector.FromObject(s) : LabelSelector.Everything;
        if (selector.IsEmpty)
        {
            await _events.RecordAsync(ds, "Warning", "SelectingAll", "Sync", "This daemon set is selecting all pods. A non-empty selector is required.", cancellationToken);
            return;
        }

        // Whether the GC has removed its revisions yet is unknown while it is being deleted: leave it alone, as kube does.
        if (Owners.IsBeingDeleted(ds))
        {
            return;
        }

        var nodes = _nodes.Items.Values.ToList();
        var (current, old) = await ConstructHistoryAsync(ds, selector, cancellationToken);
        var hash = current.Find("metadata.labels")?[DaemonPods.HashLabel]?.ToString() ?? "";
        if (!_expectations.Satisfied(key))
        {
            // Only the counts: this generation has not been acted on yet.
            await UpdateStatusAsync(ds, selector, nodes, hash, observeGeneration: false, cancellationToken);
            return;
        }

        Exception? failure = null;
        try
        {
            await ManageAsync(key, ds, selector, nodes, hash, cancellationToken);
            if (_expectations.Satisfied(key) && ds.GetString("spec.updateStrategy.type") is null or "RollingUpdate")
            {
                await RollingUpdateAsync(key, ds, selector, nodes, hash, cancellationToken);
            }

            await CleanupHistoryAsync(ds, selector, old, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failure = e;
        }

        try
        {
            await UpdateStatusAsync(ds, selector, nodes, hash, observeGeneration: true, cancellationToken);
        }
        catch (KubeApiException) when (failure is not null)
        {
            // The sync's own failure says more; both are retried together.
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    // The pods this DaemonSet controls (adopting and releasing as kube's ClaimPods), by the node each is meant for.
    // Pods that finished and are being deleted are of no more concern unless asked for (history cleanup).
    private async Task<Dictionary<string, List<JsonObject>>> NodesToDaemonPodsAsync(JsonObject ds, LabelSelector selector, bool includeDeletedTerminal, CancellationToken cancellationToken)
    {
        var ns = ds.GetString("metadata.namespace");
        var candidates = _podsByOwner.Candidates(ns, Owners.Uid(ds)).Select(_pods.Get).OfType<JsonObject>();
        var claimed = await new ControllerRefManager(Client, ResourceRef.Pods, ds, ApiVersion, Kind, selector).ClaimAsync(candidates, cancellationToken);
        var byNode = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var pod in claimed)
        {
            if (!includeDeletedTerminal && Owners.IsBeingDeleted(pod) && pod.GetString("status.phase") is "Succeeded" or "Failed")
            {
                continue;
            }

            if (DaemonPods.TargetNode(pod) is { } node)
            {
                (byNode.TryGetValue(node, out var list) ? list : byNode[node] = []).Add(pod);
            }
        }

        return byNode;
    }

    private void OnPod(InformerEvent e)
    {
        _podsByOwner.Update(e);
        var pod = e.Object;
        var owner = ResolveOwner(pod);
        if (e.Old is { } old && ResolveOwner(old) is { } oldOwner && oldOwner != owner)
        {
            Queue.Add(oldOwner);
        }

        if (owner is not null)
        {
            if (e.Type == InformerEventType.Added && !Owners.IsBeingDeleted(pod))
            {
                _expectations.CreationObserved(owner);
            }

            // A pod going away counts as deleted as soon as its deletionTimestamp is set, as in kube.
            if (e.Type == InformerEventType.Deleted || Owners.IsBeingDeleted(pod))
            {
                _expectations.DeletionObserved(owner, e.Key);
            }

            Queue.Add(owner);
            if (e.Type == InformerEventType.Updated && e.Old is { } before && !PodConditions.IsReady(before) && PodConditions.IsReady(pod)
                && _daemonSets.Get(owner)?.Find("spec.minReadySeconds") is JsonValue m && m.ToLong() > 0)
            {
                // A second more than minReadySeconds, against clock skew, as kube.
                Queue.AddAfter(owner, TimeSpan.FromSeconds(m.ToLong() + 1));
            }

            return;
        }

        // An orphan may be adopted by a DaemonSet whose selector matches it.
        if (e.Type != InformerEventType.Deleted && Owners.ControllerOf(pod) is null
            && (e.Old is null || !JsonNode.DeepEquals(e.Old.Find("metadata.labels"), pod.Find("metadata.labels")) || Owners.ControllerOf(e.Old) is not null))
        {
            EnqueueMatching(pod);
        }
    }

    private void OnRevision(InformerEvent e)
    {
        if (ResolveOwner(e.Object) is { } owner)
        {
            Queue.Add(owner);
        }
        else if (e.Old is { } old && ResolveOwner(old) is { } oldOwner)
        {
            Queue.Add(oldOwner);
        }
        else if (e.Type != InformerEventType.Deleted && Owners.ControllerOf(e.Object) is null)
        {
            EnqueueMatching(e.Object);
        }
    }

    private void OnNode(InformerEvent e)
    {
        foreach (var (key, ds) in _daemonSets.Items)
        {
            var now = DaemonPods.ShouldRun(e.Object, ds);
            var enqueue = e.Type switch
            {
                InformerEventType.Added => now.ShouldRun,
                InformerEventType.Updated => !IgnorableNodeUpdate(e.Old!, e.Object) && DaemonPods.ShouldRun(e.Old!, ds) != now,

                // Its pods have nowhere to run any more.
                _ => true,
            };
            if (enqueue)
            {
                Queue.Add(key);
            }
        }
    }

    // kube's shouldIgnoreNodeUpdate: the same conditions true, and nothing else changed but the resourceVersion.
    private static bool IgnorableNodeUpdate(JsonObject old, JsonObject node)
    {
        static HashSet<string> TrueConditions(JsonObject n) =>
            [.. (n.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().Where(c => c.GetString("status") == "True").Select(c => c.GetString("type") ?? "") ?? []];

        if (!TrueConditions(old).SetEquals(TrueConditions(node)))
        {
            return false;
        }

        static JsonObject WithoutVolatile(JsonObject n)
        {
            var copy = (JsonObject)n.DeepClone();
            (copy["metadata"] as JsonObject)?.Remove("resourceVersion");
            (copy["status"] as JsonObject)?.Remove("conditions");
            return copy;
        }

        return JsonNode.DeepEquals(WithoutVolatile(old), WithoutVolatile(node));
    }

    // The key of the DaemonSet that controls the object, if it still exists with that uid.
    private string? ResolveOwner(JsonObject obj)
    {
        if (Owners.ControllerOf(obj) is not { } reference || reference.GetString("kind") != Kind)
        {
            return null;
        }

        var key = obj.GetString("metadata.namespace") + "/" + reference.GetString("name");
        return _daemonSets.Get(key) is { } ds && Owners.Uid(ds) == reference.GetString("uid") ? key : null;
    }

    private void EnqueueMatching(JsonObject obj)
    {
        var ns = obj.GetString("metadata.namespace");
        var labels = obj.Find("metadata.labels") as JsonObject;
        foreach (var (key, ds) in _daemonSets.Items)
        {
            if (ds.GetString("metadata.namespace") == ns && ds.Find("spec.selector") is JsonObject s && LabelSelector.FromObject(s) is { IsEmpty: false } selector && selector.Matches(labels))
            {
                Queue.Add(key);
            }
        }
    }

    [LoggerMessage(EventId = 7501, Level = LogLevel.Information, Message = "daemonset {Key}: hash collision, collisionCount is now {Count}")]
    private static partial void LogCollision(ILogger logger, string key, long count);
}
