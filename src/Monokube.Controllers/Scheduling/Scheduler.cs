using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Scheduling;

/// <summary>
/// The default scheduler for pods of schedulerName default-scheduler: filters nodes (<see cref="NodeFit"/>), scores
/// the fitting ones (least allocated, and fewest pods of the same controller: spreading), binds through
/// pods/binding and records Scheduled; a pod no node fits gets PodScheduled=False with reason Unschedulable and a
/// message counting why nodes were rejected, and is tried again when nodes or pods change. Pods bound but not yet
/// seen bound by the informer count against their node, so one pass never overcommits.
/// </summary>
public sealed class Scheduler : Controller
{
    public const string DefaultSchedulerName = "default-scheduler";

    private readonly Informer _pods;
    private readonly Informer _nodes;
    private readonly EventRecorder _events;
    private readonly Dictionary<string, (string Node, JsonObject Pod)> _assumed = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public Scheduler(ControllerContext context, string identity)
        : base("scheduler", context)
    {
        _events = new EventRecorder(context.Client, context.Time, DefaultSchedulerName, identity, Logger);
        _pods = Watch(ResourceRef.Pods, OnPod);
        _nodes = Watch(ResourceRef.Nodes, _ => RequeuePending());
    }

    // One pod at a time: every decision sees the previous one.
    protected override int Workers => 1;

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_pods.Get(key) is not { } pod || !NeedsScheduling(pod))
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

        var nodes = _nodes.Items.Values.OrderBy(n => n.GetString("metadata.name"), StringComparer.Ordinal).ToList();
        var podsByNode = PodsByNode();
        var feasible = new List<JsonObject>();
        var rejections = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var reasons = NodeFit.Reasons(pod, node, podsByNode.GetValueOrDefault(node.GetString("metadata.name")!) ?? []);
            if (reasons.Count == 0)
            {
                feasible.Add(node);
            }

            foreach (var reason in reasons)
            {
                rejections[reason] = rejections.GetValueOrDefault(reason) + 1;
            }
        }

        if (feasible.Count == 0)
        {
            await MarkUnschedulableAsync(pod, UnschedulableMessage(nodes.Count, rejections), cancellationToken);
            return;
        }

        var chosen = Choose(pod, feasible, podsByNode);
        var nodeName = chosen.GetString("metadata.name")!;
        var ns = pod.GetString("metadata.namespace")!;
        var name = pod.GetString("metadata.name")!;
        lock (_gate)
        {
            _assumed[key] = (nodeName, pod);
        }

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
        }
        catch
        {
            lock (_gate)
            {
                _assumed.Remove(key);
            }

            throw;
        }

        await _events.RecordAsync(pod, "Normal", "Scheduled", "Binding", $"Successfully assigned {ns}/{name} to {nodeName}", cancellationToken);
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
        var bound = !string.IsNullOrEmpty(e.Object.GetString("spec.nodeName"));
        if (bound || e.Type == InformerEventType.Deleted)
        {
            lock (_gate)
            {
                _assumed.Remove(e.Key);
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

        if (NeedsScheduling(e.Object))
        {
            Queue.Add(e.Key);
        }
    }

    private void RequeuePending()
    {
        foreach (var (key, pod) in _pods.Items)
        {
            if (NeedsScheduling(pod))
            {
                Queue.Add(key);
            }
        }
    }

    private Dictionary<string, List<JsonObject>> PodsByNode()
    {
        var byNode = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        void Add(string node, JsonObject pod)
        {
            if (!byNode.TryGetValue(node, out var list))
            {
                byNode[node] = list = [];
            }

            list.Add(pod);
        }

        foreach (var (_, pod) in _pods.Items)
        {
            if (pod.GetString("spec.nodeName") is { Length: > 0 } node && pod.GetString("status.phase") is not ("Succeeded" or "Failed"))
            {
                Add(node, pod);
            }
        }

        lock (_gate)
        {
            foreach (var (_, (node, pod)) in _assumed)
            {
                Add(node, pod);
            }
        }

        return byNode;
    }

    // Least allocated (CPU and memory after this pod) plus spreading of pods with the same controller.
    private static JsonObject Choose(JsonObject pod, List<JsonObject> feasible, Dictionary<string, List<JsonObject>> podsByNode)
    {
        var requests = NodeFit.Requests(pod);
        var owner = Owners.ControllerOf(pod)?.GetString("uid");
        var siblings = feasible.ToDictionary(
            n => n.GetString("metadata.name")!,
            n => owner is null ? 0 : (podsByNode.GetValueOrDefault(n.GetString("metadata.name")!) ?? []).Count(p => Owners.ControllerOf(p)?.GetString("uid") == owner));
        var maxSiblings = siblings.Values.DefaultIfEmpty(0).Max();

        var scored = feasible.Select(node =>
        {
            var name = node.GetString("metadata.name")!;
            var allocatable = node.Find("status.allocatable") as JsonObject ?? node.Find("status.capacity") as JsonObject ?? [];
            var onNode = podsByNode.GetValueOrDefault(name) ?? [];
            double least = 0;
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var capacity = Quantity.Parse(allocatable[resource]?.ToString());
                var used = onNode.Sum(p => NodeFit.Requests(p).GetValueOrDefault(resource)) + requests.GetValueOrDefault(resource);
                least += capacity <= 0 ? 0 : (double)Math.Max(0, (capacity - used) / capacity) * 100;
            }

            var spread = maxSiblings == 0 ? 100 : 100.0 * (maxSiblings - siblings[name]) / maxSiblings;
            return (Node: node, Score: (least / 2) + spread);
        }).ToList();

        var best = scored.Max(s => s.Score);
        var top = scored.Where(s => Math.Abs(s.Score - best) < 1e-9).ToList();
        return top[Random.Shared.Next(top.Count)].Node;
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
}
