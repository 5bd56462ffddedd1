using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Scheduling;

/// <summary>
/// The default scheduler for pods of schedulerName default-scheduler: filters nodes (<see cref="NodeFit"/>), scores
/// the fitting ones (least allocated, and fewest pods of the same controller: spreading), binds through
/// pods/binding and records Scheduled; a pod no node fits gets PodScheduled=False with reason Unschedulable and a
/// message counting why nodes were rejected, and is tried again when nodes or pods change. Each node's usage (the
/// pods on it, their requests, host ports and controllers) is kept up to date from the pod informer, so a decision
/// looks at every node but not at every pod. Pods bound but not yet seen bound by the informer count against their
/// node, so one pass never overcommits. As kube's scheduler, it binds asynchronously: the next decision does not
/// wait for the binding and the Scheduled event to be written (a failed binding forgets the assumption and retries).
/// </summary>
public sealed partial class Scheduler : Controller
{
    public const string DefaultSchedulerName = "default-scheduler";

    private const int MaxBindingsInFlight = 16;

    private static readonly string[] ScoredResources = ["cpu", "memory"];

    private readonly Informer _pods;
    private readonly EventRecorder _events;
    private readonly Dictionary<string, NodeUsage> _usage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeInfo> _nodeInfos = new(StringComparer.Ordinal);
    private List<NodeInfo>? _nodeList;
    private int _nextStartNode;
    private readonly Dictionary<string, Placement> _placed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Placement> _assumed = new(StringComparer.Ordinal);
    // The pods waiting for a node, kept from the informer's events, so that a change of nodes retries them without
    // reading every cached pod (which would also materialize each one's JSON nodes for as long as it is cached).
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _bindings = new(MaxBindingsInFlight);

    public Scheduler(ControllerContext context, string identity)
        : base("scheduler", context)
    {
        _events = new EventRecorder(context.Client, context.Time, DefaultSchedulerName, identity, Logger);
        _pods = Watch(ResourceRef.Pods, OnPod);
        Watch(ResourceRef.Nodes, OnNode);
    }

    // One pod at a time: every decision sees the previous one.
    protected override int Workers => 1;

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_pods.Copy(key) is not { } pod || !NeedsScheduling(pod))
        {
            return;
        }

        lock (_gate)
        {
            if (_assumed.ContainsKey(key))
            {
                return;
            }
        }

        var footprint = PodFootprint.Of(pod);
        var feasible = new List<(NodeInfo Node, NodeUsage Usage)>();
        var rejections = new Dictionary<string, int>(StringComparer.Ordinal);
        string? nodeName = null;
        int nodeCount;
        lock (_gate)
        {
            // As kube (percentageOfNodesToScore): in a large cluster, stop filtering once enough nodes fit, and
            // start the next pod's search where this one stopped.
            var nodes = _nodeList ??= [.. _nodeInfos.Values];
            nodeCount = nodes.Count;
            var wanted = FeasibleNodesToFind(nodes.Count);
            var looked = 0;
            for (; looked < nodes.Count && feasible.Count < wanted; looked++)
            {
                var node = nodes[(_nextStartNode + looked) % nodes.Count];
                var usage = _usage.GetValueOrDefault(node.Name) ?? NodeUsage.Empty;
                var reasons = NodeFit.Reasons(pod, footprint, node, usage);
                if (reasons.Count == 0)
                {
                    feasible.Add((node, usage));
                }

                foreach (var reason in reasons)
                {
                    rejections[reason] = rejections.GetValueOrDefault(reason) + 1;
                }
            }

            _nextStartNode = nodes.Count == 0 ? 0 : (_nextStartNode + looked) % nodes.Count;
            if (feasible.Count > 0)
            {
                nodeName = Choose(footprint, feasible).Name;
                Place(_assumed, key, new Placement(nodeName, footprint));
            }
        }

        if (nodeName is null)
        {
            await MarkUnschedulableAsync(pod, UnschedulableMessage(nodeCount, rejections), cancellationToken);
            return;
        }

        await _bindings.WaitAsync(cancellationToken);
        _ = BindAsync(key, pod, nodeName, cancellationToken);
    }

    private async Task BindAsync(string key, JsonObject pod, string nodeName, CancellationToken cancellationToken)
    {
        var ns = pod.GetString("metadata.namespace")!;
        var name = pod.GetString("metadata.name")!;
        try
        {
            var binding = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Binding",
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = pod.GetString("metadata.uid") },
                ["target"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = nodeName },
            };
            await Client.CreateSubresourceAsync(ResourceRef.Pods, ns, name, "binding", binding, cancellationToken);
            await _events.RecordAsync(pod, "Normal", "Scheduled", "Binding", $"Successfully assigned {ns}/{name} to {nodeName}", cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                Forget(_assumed, key);
            }

            LogBindingFailed(Logger, key, nodeName, e.Message);
            Queue.AddRateLimited(key);
        }
        finally
        {
            _bindings.Release();
        }
    }

    /// <summary>kube's FitError message: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}."</summary>
    public static string UnschedulableMessage(int nodes, IReadOnlyDictionary<string, int> rejections)
    {
        if (nodes == 0)
        {
            return "no nodes available to schedule pods";
        }

        var reasons = rejections.Select(r => $"{r.Value} {r.Key}").Order(StringComparer.Ordinal);
        return $"0/{nodes} nodes are available: {string.Join(", ", reasons)}.";
    }

    private static bool NeedsScheduling(JsonObject pod) =>
        string.IsNullOrEmpty(pod.GetString("spec.nodeName"))
        && (pod.GetString("spec.schedulerName") ?? DefaultSchedulerName) == DefaultSchedulerName
        && !Owners.IsBeingDeleted(pod)
        && pod.GetString("status.phase") is not ("Succeeded" or "Failed");

    private void OnPod(InformerEvent e)
    {
        var node = e.Object.GetString("spec.nodeName");
        var bound = !string.IsNullOrEmpty(node);
        var pending = e.Type != InformerEventType.Deleted && NeedsScheduling(e.Object);
        lock (_gate)
        {
            if (pending)
            {
                _pending.Add(e.Key);
            }
            else
            {
                _pending.Remove(e.Key);
            }

            Forget(_placed, e.Key);
            if (bound || e.Type == InformerEventType.Deleted)
            {
                Forget(_assumed, e.Key);
            }

            if (bound && e.Type != InformerEventType.Deleted && e.Object.GetString("status.phase") is not ("Succeeded" or "Failed"))
            {
                Place(_placed, e.Key, new Placement(node!, PodFootprint.Of(e.Object)));
            }
        }

        if (e.Type == InformerEventType.Deleted)
        {
            // Resources freed: pods waiting for room may fit now.
            if (bound)
            {
                RequeuePending();
            }

            return;
        }

        if (pending)
        {
            Queue.Add(e.Key);
        }
    }

    /// <summary>kube's numFeasibleNodesToFind with the adaptive percentage: every node below 100, else 50% less 1% per 125 nodes (at least 5%), and at least 100.</summary>
    public static int FeasibleNodesToFind(int nodes)
    {
        if (nodes < 100)
        {
            return nodes;
        }

        var percentage = Math.Max(5, 50 - (nodes / 125));
        return Math.Max(100, nodes * percentage / 100);
    }

    private void OnNode(InformerEvent e)
    {
        lock (_gate)
        {
            if (e.Type == InformerEventType.Deleted)
            {
                _nodeInfos.Remove(e.Key);
            }
            else
            {
                _nodeInfos[e.Key] = NodeInfo.Of(e.Object);
            }

            _nodeList = null;
        }

        RequeuePending();
    }

    private void RequeuePending()
    {
        string[] pending;
        lock (_gate)
        {
            pending = [.. _pending];
        }

        foreach (var key in pending)
        {
            Queue.Add(key);
        }
    }

    // Callers hold _gate.
    private void Place(Dictionary<string, Placement> placements, string key, Placement placement)
    {
        placements[key] = placement;
        if (!_usage.TryGetValue(placement.Node, out var usage))
        {
            _usage[placement.Node] = usage = new NodeUsage();
        }

        usage.Add(placement.Footprint);
    }

    private void Forget(Dictionary<string, Placement> placements, string key)
    {
        if (!placements.Remove(key, out var placement) || !_usage.TryGetValue(placement.Node, out var usage))
        {
            return;
        }

        usage.Remove(placement.Footprint);
        if (usage.Pods == 0)
        {
            _usage.Remove(placement.Node);
        }
    }

    // Least allocated (CPU and memory after this pod) plus spreading of pods with the same controller.
    private static NodeInfo Choose(PodFootprint pod, List<(NodeInfo Node, NodeUsage Usage)> feasible)
    {
        var maxSiblings = feasible.Max(f => f.Usage.OwnedBy(pod.ControllerUid));
        NodeInfo? best = null;
        var bestScore = double.MinValue;
        var ties = 0;
        foreach (var (node, usage) in feasible)
        {
            double least = 0;
            foreach (var resource in ScoredResources)
            {
                var capacity = node.Allocatable.GetValueOrDefault(resource);
                var used = usage.Requested.GetValueOrDefault(resource) + pod.Requests.GetValueOrDefault(resource);
                least += capacity <= 0 ? 0 : (double)Math.Max(0, (capacity - used) / capacity) * 100;
            }

            var spread = maxSiblings == 0 ? 100 : 100.0 * (maxSiblings - usage.OwnedBy(pod.ControllerUid)) / maxSiblings;
            var score = (least / 2) + spread;
            if (score > bestScore + 1e-9)
            {
                (best, bestScore, ties) = (node, score, 1);
            }
            else if (Math.Abs(score - bestScore) < 1e-9 && Random.Shared.Next(++ties) == 0)
            {
                // Reservoir sampling: each of the equally good nodes is picked with the same chance.
                best = node;
            }
        }

        return best!;
    }

    private async Task MarkUnschedulableAsync(JsonObject pod, string message, CancellationToken cancellationToken)
    {
        var current = PodConditionsOf(pod);
        if (current?.GetString("status") == "False" && current.GetString("reason") == "Unschedulable" && current.GetString("message") == message)
        {
            return;
        }

        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray((JsonNode)new JsonObject
                {
                    ["type"] = "PodScheduled",
                    ["status"] = "False",
                    ["lastProbeTime"] = null,
                    ["lastTransitionTime"] = KubeTime.Format(Context.Time.GetUtcNow()),
                    ["reason"] = "Unschedulable",
                    ["message"] = message,
                }),
            },
        };
        await Client.PatchAsync(ResourceRef.Pods, pod.GetString("metadata.namespace"), pod.GetString("metadata.name")!, "application/strategic-merge-patch+json", patch, cancellationToken, "status");
        await _events.RecordAsync(pod, "Warning", "FailedScheduling", "Scheduling", message, cancellationToken);
    }

    private static JsonObject? PodConditionsOf(JsonObject pod) =>
        (pod.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == "PodScheduled");

    [LoggerMessage(EventId = 7303, Level = LogLevel.Information, Message = "binding {Key} to {Node} failed, retrying: {Error}")]
    private static partial void LogBindingFailed(ILogger logger, string key, string node, string error);

    private sealed record Placement(string Node, PodFootprint Footprint);
}
