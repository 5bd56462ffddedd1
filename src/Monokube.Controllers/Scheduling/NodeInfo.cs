using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers.Scheduling;

/// <summary>
/// The parts of a Node the scheduler's filters and scores read, parsed once per version of the node (as the
/// informer delivers it) rather than once per pod.
/// </summary>
public sealed class NodeInfo
{
    private NodeInfo(JsonObject node)
    {
        Node = node;
        Name = node.GetString("metadata.name") ?? "";
        Unschedulable = node.Find("spec.unschedulable")?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        Taints = ((node.Find("spec.taints") as JsonArray)?.OfType<JsonObject>() ?? [])
            .Select(t => (Key: t.GetString("key") ?? "", Value: t.GetString("value") ?? "", Effect: t.GetString("effect") ?? ""))
            .Where(t => t.Effect is "NoSchedule" or "NoExecute")
            .ToList();
        var allocatable = node.Find("status.allocatable") as JsonObject ?? node.Find("status.capacity") as JsonObject ?? [];
        Allocatable = allocatable.ToDictionary(p => p.Key, p => Quantity.Parse(p.Value?.ToString()), StringComparer.Ordinal);
    }

    public JsonObject Node { get; }

    public string Name { get; }

    public bool Unschedulable { get; }

    /// <summary>The taints that keep pods off (NoSchedule, NoExecute).</summary>
    public IReadOnlyList<(string Key, string Value, string Effect)> Taints { get; }

    public IReadOnlyDictionary<string, decimal> Allocatable { get; }

    public static NodeInfo Of(JsonObject node) => new(node);
}
