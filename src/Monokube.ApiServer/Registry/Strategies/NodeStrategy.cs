using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>Nodes: a kubelet creates its Node with status included, so create keeps it.</summary>
public sealed class NodeStrategy : ResourceStrategy
{
    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields { get; } = new Dictionary<string, Func<JsonObject, string?>>
    {
        ["spec.unschedulable"] = o => o.GetScalarText("spec.unschedulable") ?? "false",
    };

    protected override bool ResetsStatusOnCreate => false;
}
