using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>Events: selectable by the object they are about, and PUT may create (kube: AllowCreateOnUpdate).</summary>
public sealed class EventStrategy : ResourceStrategy
{
    public override bool AllowCreateOnUpdate => true;

    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields { get; } = new Dictionary<string, Func<JsonObject, string?>>
    {
        ["involvedObject.kind"] = o => o.GetString("involvedObject.kind") ?? "",
        ["involvedObject.namespace"] = o => o.GetString("involvedObject.namespace") ?? "",
        ["involvedObject.name"] = o => o.GetString("involvedObject.name") ?? "",
        ["involvedObject.uid"] = o => o.GetString("involvedObject.uid") ?? "",
        ["involvedObject.apiVersion"] = o => o.GetString("involvedObject.apiVersion") ?? "",
        ["involvedObject.resourceVersion"] = o => o.GetString("involvedObject.resourceVersion") ?? "",
        ["involvedObject.fieldPath"] = o => o.GetString("involvedObject.fieldPath") ?? "",
        ["reason"] = o => o.GetString("reason") ?? "",
        ["reportingComponent"] = o => o.GetString("reportingComponent") ?? "",
        ["source"] = o => o.GetString("source.component") ?? "",
        ["type"] = o => o.GetString("type") ?? "",
    };
}
