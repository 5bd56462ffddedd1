using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Nodes;

/// <summary>
/// kube-controller-manager's node-lifecycle-controller, the health part: a node whose kubelet has neither renewed
/// its Lease in kube-node-lease nor posted a new Ready heartbeat within --node-monitor-grace-period (measured on
/// this controller's clock from when it last saw either change) gets Ready, MemoryPressure, DiskPressure and
/// PIDPressure Unknown, the node.kubernetes.io/unreachable taints (NoSchedule and NoExecute) and its pods marked
/// not Ready; a node reporting Ready=False gets the not-ready taints; both are cleared once it is Ready again.
/// </summary>
public sealed class NodeLifecycleController : Controller
{
    public const string UnreachableTaint = "node.kubernetes.io/unreachable";
    public const string NotReadyTaint = "node.kubernetes.io/not-ready";

    private static readonly string[] MonitoredConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

    private readonly Informer _nodes;
    private readonly Informer _leases;
    private readonly Informer _pods;
    private readonly Dictionary<string, Health> _health = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public NodeLifecycleController(ControllerContext context)
        : base("node-lifecycle-controller", context)
    {
        _nodes = Watch(ResourceRef.Nodes, e =>
        {
            if (e.Type == InformerEventType.Deleted)
            {
                lock (_gate)
                {
                    _health.Remove(e.Key);
                }

                return;
            }

            Observe(e.Key);
            Queue.Add(e.Key);
        });
        _leases = Watch(ResourceRef.Leases, e =>
        {
            var name = e.Object.GetString("metadata.name")!;
            Observe(name);
            Queue.Add(name);
        }, fieldSelector: "metadata.namespace=kube-node-lease");
        _pods = Watch(ResourceRef.Pods, _ => { });
    }

    protected override int Workers => 1;

    protected override Task OnStartedAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(() => MonitorAsync(cancellationToken), CancellationToken.None);
        return Task.CompletedTask;
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_nodes.Get(key) is not { } node)
        {
            return;
        }

        var health = Observe(key);
        var now = Context.Time.GetUtcNow();
        if (now - health.ProbeTime > Context.Options.NodeMonitorGracePeriod)
        {
            node = await MarkUnknownAsync(node, cancellationToken) ?? node;
        }

        var ready = Conditions.Find(node, "Ready")?.GetString("status");
        await UpdateTaintsAsync(node, ready, cancellationToken);
        if (ready != "True")
        {
            await MarkPodsNotReadyAsync(key, cancellationToken);
        }
    }

    // Every --node-monitor-period, each node is looked at again (a silent kubelet produces no events).
    private async Task MonitorAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Context.Options.NodeMonitorPeriod, Context.Time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var key in _nodes.Items.Keys)
            {
                Queue.Add(key);
            }
        }
    }

    // Records the node's latest signs of life; a change in either restarts its grace period from now.
    private Health Observe(string name)
    {
        var heartbeat = _nodes.Get(name) is { } node ? Conditions.Find(node, "Ready")?.GetString("lastHeartbeatTime") : null;
        var renewed = _leases.Get("kube-node-lease", name)?.GetString("spec.renewTime");
        var now = Context.Time.GetUtcNow();
        lock (_gate)
        {
            if (!_health.TryGetValue(name, out var health) || health.Heartbeat != heartbeat || health.LeaseRenewTime != renewed)
            {
                health = new Health(now, heartbeat, renewed);
                _health[name] = health;
            }

            return health;
        }
    }

    private async Task<JsonObject?> MarkUnknownAsync(JsonObject node, CancellationToken cancellationToken)
    {
        var updated = node.DeepClone().AsObject();
        var status = updated.GetOrAddObject("status");
        var conditions = status["conditions"] as JsonArray ?? [];
        var now = KubeTime.Format(Context.Time.GetUtcNow());
        var changed = false;
        foreach (var type in MonitoredConditions)
        {
            var condition = conditions.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == type);
            if (condition is null)
            {
                conditions.Add((JsonNode)new JsonObject
                {
                    ["type"] = type,
                    ["status"] = "Unknown",
                    ["lastHeartbeatTime"] = node.GetString("metadata.creationTimestamp"),
                    ["lastTransitionTime"] = now,
                    ["reason"] = "NodeStatusNeverUpdated",
                    ["message"] = "Kubelet never posted node status.",
                });
                changed = true;
            }
            else if (condition.GetString("status") != "Unknown")
            {
                condition["status"] = "Unknown";
                condition["reason"] = "NodeStatusUnknown";
                condition["message"] = "Kubelet stopped posting node status.";
                condition["lastTransitionTime"] = now;
                changed = true;
            }
        }

        if (!changed)
        {
            return null;
        }

        status["conditions"] = conditions;
        return await Client.UpdateAsync(ResourceRef.Nodes, updated, cancellationToken, subresource: "status");
    }

    // The taints that follow the Ready condition (kube's TaintNodesByCondition and taint-based eviction taints).
    private async Task UpdateTaintsAsync(JsonObject node, string? ready, CancellationToken cancellationToken)
    {
        var wanted = ready switch
        {
            "Unknown" => UnreachableTaint,
            "False" => NotReadyTaint,
            _ => null,
        };
        var taints = node.Find("spec.taints") as JsonArray ?? [];
        var ours = taints.OfType<JsonObject>().Where(t => t.GetString("key") is UnreachableTaint or NotReadyTaint).ToList();
        var current = ours.Select(t => (t.GetString("key"), t.GetString("effect"))).ToHashSet();
        var target = wanted is null ? [] : new HashSet<(string?, string?)> { (wanted, "NoSchedule"), (wanted, "NoExecute") };
        if (current.SetEquals(target))
        {
            return;
        }

        var updated = node.DeepClone().AsObject();
        var newTaints = new JsonArray();
        foreach (var taint in taints.OfType<JsonObject>().Where(t => !ours.Contains(t)))
        {
            newTaints.Add(taint.DeepClone());
        }

        foreach (var taint in ours.Where(t => target.Contains((t.GetString("key"), t.GetString("effect")))))
        {
            newTaints.Add(taint.DeepClone());
        }

        var now = KubeTime.Format(Context.Time.GetUtcNow());
        foreach (var (key, effect) in target.Where(t => !current.Contains(t)))
        {
            var taint = new JsonObject { ["key"] = key, ["effect"] = effect };
            if (effect == "NoExecute")
            {
                taint["timeAdded"] = now;
            }

            newTaints.Add((JsonNode)taint);
        }

        var spec = updated.GetOrAddObject("spec");
        if (newTaints.Count > 0)
        {
            spec["taints"] = newTaints;
        }
        else
        {
            spec.Remove("taints");
        }

        await Client.UpdateAsync(ResourceRef.Nodes, updated, cancellationToken);
    }

    // As kube's MarkPodsNotReady: the pods of a node that is not Ready are not Ready either.
    private async Task MarkPodsNotReadyAsync(string nodeName, CancellationToken cancellationToken)
    {
        foreach (var pod in _pods.Items.Values.Where(p => p.GetString("spec.nodeName") == nodeName))
        {
            if (Conditions.Find(pod, "Ready") is not { } ready || ready.GetString("status") != "True")
            {
                continue;
            }

            var updated = pod.DeepClone().AsObject();
            var condition = Conditions.Find(updated, "Ready")!;
            condition["status"] = "False";
            condition["lastTransitionTime"] = KubeTime.Format(Context.Time.GetUtcNow());
            try
            {
                await Client.UpdateAsync(ResourceRef.Pods, updated, cancellationToken, subresource: "status");
            }
            catch (KubeApiException e) when (e.IsNotFound || e.IsConflict)
            {
                // Gone or changed meanwhile; the next pass looks again.
            }
        }
    }

    private sealed record Health(DateTimeOffset ProbeTime, string? Heartbeat, string? LeaseRenewTime);
}
