using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>Events: selectable by the object they are about, and PUT may create (kube: AllowCreateOnUpdate).</summary>
public sealed class EventStrategy(bool regarding = false) : ResourceStrategy
{
    public override bool AllowCreateOnUpdate => true;

    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields => regarding ? RegardingFields : CoreFields;

    // events.k8s.io/v1 names the object "regarding" and the reporter "reportingController".
    private static readonly Dictionary<string, Func<JsonObject, string?>> RegardingFields = new()
    {
        ["regarding.kind"] = o => o.GetString("regarding.kind") ?? "",
        ["regarding.namespace"] = o => o.GetString("regarding.namespace") ?? "",
        ["regarding.name"] = o => o.GetString("regarding.name") ?? "",
        ["regarding.uid"] = o => o.GetString("regarding.uid") ?? "",
        ["regarding.apiVersion"] = o => o.GetString("regarding.apiVersion") ?? "",
        ["regarding.resourceVersion"] = o => o.GetString("regarding.resourceVersion") ?? "",
        ["regarding.fieldPath"] = o => o.GetString("regarding.fieldPath") ?? "",
        ["reason"] = o => o.GetString("reason") ?? "",
        ["reportingController"] = o => o.GetString("reportingController") ?? "",
        ["type"] = o => o.GetString("type") ?? "",
    };

    private static readonly Dictionary<string, Func<JsonObject, string?>> CoreFields = new()
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
