using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// Namespaces: DNS-label names, phase Active, the "kubernetes" finalizer that the namespace controller removes
/// once the namespace is empty, and the kubernetes.io/metadata.name label.
/// </summary>
public sealed class NamespaceStrategy : ResourceStrategy
{
    public const string NameLabel = "kubernetes.io/metadata.name";

    public NamespaceStrategy()
    {
        NameRule = NameRule.DnsLabel;
    }

    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields { get; } = new Dictionary<string, Func<JsonObject, string?>>
    {
        ["status.phase"] = o => o.GetString("status.phase"),
    };

    public override void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        obj["status"] = new JsonObject { ["phase"] = "Active" };
        var spec = obj.GetOrAddObject("spec");
        if (spec["finalizers"] is not JsonArray { Count: > 0 } finalizers || !finalizers.Any(f => f?.ToString() == "kubernetes"))
        {
            var list = spec["finalizers"] as JsonArray ?? [];
            list.Add((JsonNode)"kubernetes");
            spec["finalizers"] = list;
        }

        SetNameLabel(obj);
    }

    public override void PrepareForUpdate(StrategyContext context, ResourceDefinition resource, JsonObject obj, JsonObject old)
    {
        // Finalizers change only through /finalize; the phase only through /status.
        obj.GetOrAddObject("spec").SetOrRemove("finalizers", old.GetObject("spec")?["finalizers"]?.DeepClone());
        obj.SetOrRemove("status", old["status"]?.DeepClone());
        SetNameLabel(obj);
    }

    /// <summary>An update through /finalize: only spec.finalizers comes from the request.</summary>
    public static JsonObject PrepareForFinalize(JsonObject obj, JsonObject old)
    {
        var result = (JsonObject)old.DeepClone();
        result.GetOrAddObject("spec").SetOrRemove("finalizers", obj.GetObject("spec")?["finalizers"]?.DeepClone());
        return result;
    }

    private static void SetNameLabel(JsonObject obj)
    {
        var meta = new ObjectMeta(obj);
        if (meta.Name is { } name)
        {
            meta.Metadata.GetOrAddObject("labels")[NameLabel] = name;
        }
    }
}
