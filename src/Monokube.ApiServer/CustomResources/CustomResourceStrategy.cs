using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// Custom resources of one CRD version: the generation follows spec changes, `default`s of the openAPIV3Schema fill
/// in missing fields on every write, and the schema's types and value rules (<see cref="CustomResourceValidator"/>)
/// refuse an object with 422 Invalid and the messages kube-apiserver gives. The version's selectableFields can be
/// named in field selectors of lists and watches.
/// </summary>
public sealed class CustomResourceStrategy : ResourceStrategy
{
    private readonly JsonObject? _schema;

    public CustomResourceStrategy(JsonObject? schema, IReadOnlyList<string>? selectableFields = null)
    {
        _schema = schema;
        TracksGeneration = true;
        SelectableFields = (selectableFields ?? []).Distinct(StringComparer.Ordinal).ToDictionary(f => f, f => (Func<JsonObject, string?>)(obj => obj.GetScalarText(f)), StringComparer.Ordinal);
    }

    /// <summary>The version's selectableFields (besides metadata.name and metadata.namespace), as field selectors read them.</summary>
    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields { get; }

    public override void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        base.PrepareForCreate(context, resource, obj);
        ApplyDefaults(obj, _schema);
    }

    /// <summary>kube's custom-resource status strategy: the whole stored object, with the request's status only.</summary>
    public override JsonObject PrepareForStatusUpdate(StrategyContext context, JsonObject obj, JsonObject old)
    {
        var result = (JsonObject)old.DeepClone();
        result.SetOrRemove("status", obj["status"]?.DeepClone());
        return result;
    }

    public override void PrepareForUpdate(StrategyContext context, ResourceDefinition resource, JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(context, resource, obj, old);
        ApplyDefaults(obj, _schema);
    }

    public override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        if (_schema is not null)
        {
            CustomResourceValidator.Validate(obj, _schema, causes);
        }
    }

    // Defaults go into objects that are there (and into missing properties of them), as kube's structural defaulting.
    private static void ApplyDefaults(JsonNode? node, JsonObject? schema)
    {
        if (schema is null)
        {
            return;
        }

        if (node is JsonObject obj && schema["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                if (child is not JsonObject childSchema)
                {
                    continue;
                }

                if (!obj.ContainsKey(name) && childSchema["default"] is { } value)
                {
                    obj[name] = value.DeepClone();
                }

                if (obj[name] is { } present && name != "metadata")
                {
                    ApplyDefaults(present, childSchema);
                }
            }
        }
        else if (node is JsonArray array && schema["items"] is JsonObject items)
        {
            foreach (var item in array)
            {
                ApplyDefaults(item, items);
            }
        }
    }
}
