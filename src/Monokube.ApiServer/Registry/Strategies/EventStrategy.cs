using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// Events: selectable by the object they are about, PUT may create (kube: AllowCreateOnUpdate), and validated as
/// kube-apiserver validates them: the event's namespace agrees with the object's, an event with an eventTime names
/// its reporter, action and reason, and events.k8s.io/v1 checks the new API's fields strictly. Field paths are mostly
/// the core names (involvedObject, count, source) whichever API the event came through, as kube's messages are.
/// </summary>
public sealed class EventStrategy : ResourceStrategy
{
    private const int ShortFieldLimit = 128;
    private const int NoteLimit = 1024;
    private readonly bool _regarding;

    /// <param name="regarding">Whether this is events.k8s.io/v1's form (regarding, note) rather than core/v1's.</param>
    public EventStrategy(bool regarding = false)
    {
        _regarding = regarding;

        // Core events' names need only be path segments (kube validates them no further); events.k8s.io's are
        // DNS subdomains.
        NameRule = regarding ? NameRule.DnsSubdomain : NameRule.PathSegment;
    }

    public override bool AllowCreateOnUpdate => true;

    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields => _regarding ? RegardingFields : CoreFields;

    public override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        string Field(string core, string events) => obj.GetScalarText(_regarding ? events : core) ?? "";
        var ns = obj.GetString("metadata.namespace") ?? "";
        var objectNamespace = Field("involvedObject.namespace", "regarding.namespace");
        var reporter = _regarding ? "reportingController" : "reportingComponent";
        if (Field("eventTime", "eventTime").Length == 0)
        {
            // An old-style event: the object's namespace is the event's (a cluster-scoped object's event lives in
            // no namespace, or in default for older clients).
            if (objectNamespace.Length == 0 ? ns is not ("" or "default") : ns != objectNamespace)
            {
                causes.Add(FieldErrors.Invalid("involvedObject.namespace", objectNamespace, "does not match event.namespace"));
            }
        }
        else
        {
            if (objectNamespace.Length == 0 && ns is not ("default" or "kube-system"))
            {
                causes.Add(FieldErrors.Invalid("involvedObject.namespace", objectNamespace, "does not match event.namespace"));
            }

            var controller = Field("reportingComponent", "reportingController");
            if (controller.Length == 0)
            {
                causes.Add(FieldErrors.Required(reporter));
            }

            causes.AddRange(NameValidation.CheckQualifiedName(controller).Select(problem => FieldErrors.Invalid(reporter, controller, problem)));
            Bounded("reportingInstance", Field("reportingInstance", "reportingInstance"), ShortFieldLimit, required: true);
            Bounded("action", Field("action", "action"), ShortFieldLimit, required: true);
            Bounded("reason", Field("reason", "reason"), ShortFieldLimit, required: true);
            Bounded("message", Field("message", "note"), NoteLimit, required: false);
        }

        causes.AddRange(NameValidation.CheckDnsSubdomain(ns).Select(problem => FieldErrors.Invalid("namespace", ns, problem)));
        if (_regarding)
        {
            ValidateStrictly(obj, causes);
        }

        void Bounded(string field, string value, int limit, bool required)
        {
            if (required && value.Length == 0)
            {
                causes.Add(FieldErrors.Required(field));
            }

            if (value.Length > limit)
            {
                causes.Add(FieldErrors.Invalid(field, "", $"can have at most {limit} characters"));
            }
        }
    }

    // What events.k8s.io/v1 adds to the legacy rules: an eventTime, a known type, none of the deprecated fields.
    private static void ValidateStrictly(JsonObject obj, List<StatusCause> causes)
    {
        if (obj.GetString("eventTime") is not { Length: > 0 })
        {
            causes.Add(FieldErrors.Required("eventTime"));
        }

        if (obj.GetString("type") is not ("Normal" or "Warning"))
        {
            causes.Add(FieldErrors.Invalid("type", "", $"has invalid value: {obj.GetScalarText("type")}"));
        }

        foreach (var (deprecated, internalName) in new[] { ("deprecatedFirstTimestamp", "firstTimestamp"), ("deprecatedLastTimestamp", "lastTimestamp") })
        {
            if (obj.GetString(deprecated) is { Length: > 0 })
            {
                causes.Add(FieldErrors.Invalid(internalName, "", "needs to be unset"));
            }
        }

        if (obj["deprecatedCount"] is JsonValue count && count.TryGetValue<long>(out var n) && n != 0)
        {
            causes.Add(FieldErrors.Invalid("count", "", "needs to be unset"));
        }

        if (obj.GetString("deprecatedSource.component") is { Length: > 0 } || obj.GetString("deprecatedSource.host") is { Length: > 0 })
        {
            causes.Add(FieldErrors.Invalid("source", "", "needs to be unset"));
        }
    }

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
