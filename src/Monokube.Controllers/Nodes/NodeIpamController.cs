using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;
using Monokube.Controllers.Nodes.Ipam;

namespace Monokube.Controllers.Nodes;

/// <summary>
/// kube-controller-manager's node-ipam controller with the range allocator (--allocate-node-cidrs): every node gets
/// spec.podCIDR and spec.podCIDRs (one per cluster CIDR) of its own. CIDRs nodes already have are taken first, the
/// service range is never handed out, a deleted node's CIDRs are free again, and a node that cannot get one gets a
/// CIDRNotAvailable event and is tried again with backoff.
/// </summary>
public sealed partial class NodeIpamController : Controller
{
    private readonly Informer _nodes;
    private readonly List<CidrSet> _sets;
    private readonly Dictionary<string, IReadOnlyList<IPNetwork>> _held = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly EventRecorder _events;

    public NodeIpamController(ControllerContext context)
        : base("node-ipam-controller", context)
    {
        var options = context.Options.NodeIpam ?? throw new InvalidOperationException("the node-ipam controller needs --allocate-node-cidrs and --cluster-cidr");
        _sets = [.. options.ClusterCidrs.Select((cidr, i) => new CidrSet(cidr, options.NodeMaskSizes[i]))];
        foreach (var service in options.ServiceCidrs)
        {
            foreach (var set in _sets)
            {
                set.Occupy(service);
            }
        }

        _events = new EventRecorder(context.Client, context.Time, "cidrAllocator", Environment.MachineName, Logger);
        _nodes = Watch(ResourceRef.Nodes, e => Queue.Add(e.Key));
    }

    /// <summary>The node CIDRs of each cluster CIDR: how many there are and how many are in use.</summary>
    public IReadOnlyList<(IPNetwork Cluster, int Capacity, int Used)> Usage
    {
        get
        {
            lock (_gate)
            {
                return [.. _sets.Select(s => (s.Cluster, s.Capacity, s.Used))];
            }
        }
    }

    // Before any node is given a CIDR, every CIDR a node already has is taken.
    protected override Task OnStartedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var (key, node) in _nodes.Items)
            {
                Hold(key, PodCidrs(node));
            }
        }

        return Task.CompletedTask;
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var node = _nodes.Get(key);
        IReadOnlyList<IPNetwork> cidrs;
        lock (_gate)
        {
            if (node is null)
            {
                Release(key);
                return;
            }

            var existing = PodCidrs(node);
            if (existing.Count > 0)
            {
                Hold(key, existing);
                return;
            }

            if (!_held.TryGetValue(key, out var held) && Allocate() is { } allocated)
            {
                _held[key] = allocated;
                held = allocated;
            }

            cidrs = held ?? [];
        }

        if (cidrs.Count == 0)
        {
            await _events.RecordAsync(AsNode(node), "Normal", "CIDRNotAvailable", "CIDRNotAvailable", $"Node {key} status is now: CIDRNotAvailable", cancellationToken);
            throw new InvalidOperationException($"no CIDR left for node {key}: every node CIDR of {string.Join(", ", _sets.Select(s => s.Cluster))} is in use");
        }

        var texts = cidrs.Select(c => c.ToString()).ToList();
        var patch = new JsonObject
        {
            ["spec"] = new JsonObject { ["podCIDR"] = texts[0], ["podCIDRs"] = new JsonArray([.. texts.Select(t => (JsonNode)t)]) },
        };
        try
        {
            await Client.PatchAsync(ResourceRef.Nodes, null, key, "application/strategic-merge-patch+json", patch, cancellationToken);
            LogAllocated(Logger, key, string.Join(",", texts));
        }
        catch (KubeApiException e) when (!e.IsNotFound)
        {
            lock (_gate)
            {
                Release(key);
            }

            await _events.RecordAsync(AsNode(node), "Normal", "CIDRAssignmentFailed", "CIDRAssignmentFailed", $"Node {key} status is now: CIDRAssignmentFailed", cancellationToken);
            throw;
        }
    }

    // One CIDR from each cluster CIDR, or none at all.
    private List<IPNetwork>? Allocate()
    {
        var taken = new List<IPNetwork>();
        foreach (var set in _sets)
        {
            if (!set.TryAllocateNext(out var cidr))
            {
                for (var i = 0; i < taken.Count; i++)
                {
                    _sets[i].Release(taken[i]);
                }

                return null;
            }

            taken.Add(cidr);
        }

        return taken;
    }

    private void Hold(string key, IReadOnlyList<IPNetwork> cidrs)
    {
        if (cidrs.Count == 0)
        {
            return;
        }

        if (_held.TryGetValue(key, out var previous) && !previous.SequenceEqual(cidrs))
        {
            Release(key);
        }

        foreach (var cidr in cidrs)
        {
            if (!_sets.Any(s => s.Occupy(cidr)))
            {
                LogOutside(Logger, key, cidr.ToString());
            }
        }

        _held[key] = cidrs;
    }

    private void Release(string key)
    {
        if (!_held.Remove(key, out var cidrs))
        {
            return;
        }

        foreach (var cidr in cidrs)
        {
            foreach (var set in _sets)
            {
                set.Release(cidr);
            }
        }
    }

    private static List<IPNetwork> PodCidrs(JsonObject node)
    {
        var texts = (node.Find("spec.podCIDRs") as JsonArray)?.Select(c => c?.ToString()).OfType<string>().ToList() ?? [];
        if (texts.Count == 0 && node.GetString("spec.podCIDR") is { Length: > 0 } single)
        {
            texts.Add(single);
        }

        var cidrs = new List<IPNetwork>();
        foreach (var text in texts)
        {
            try
            {
                cidrs.Add(Cidr.Parse(text));
            }
            catch (FormatException)
            {
            }
        }

        return cidrs;
    }

    // Informer items may lack apiVersion and kind; the event's regarding reference needs them.
    private static JsonObject AsNode(JsonObject node)
    {
        var copy = node.DeepClone().AsObject();
        copy["apiVersion"] = "v1";
        copy["kind"] = "Node";
        return copy;
    }

    [LoggerMessage(EventId = 7601, Level = LogLevel.Information, Message = "node {Node}: pod CIDRs {Cidrs}")]
    private static partial void LogAllocated(ILogger logger, string node, string cidrs);

    [LoggerMessage(EventId = 7602, Level = LogLevel.Warning, Message = "node {Node} has the pod CIDR {Cidr}, outside every cluster CIDR")]
    private static partial void LogOutside(ILogger logger, string node, string cidr);
}
