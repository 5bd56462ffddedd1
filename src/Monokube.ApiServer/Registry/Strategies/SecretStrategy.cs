using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// Secrets: stringData is folded into data (base64) and never stored, type defaults to Opaque and cannot change,
/// and nothing changes once immutable.
/// </summary>
public sealed class SecretStrategy : ResourceStrategy
{
    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields { get; } = new Dictionary<string, Func<JsonObject, string?>>
    {
        ["type"] = o => o.GetString("type"),
    };

    public override void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        FoldStringData(obj);
        if (obj["type"] is null || obj.GetString("type") == "")
        {
            obj["type"] = "Opaque";
        }
    }

    public override void PrepareForUpdate(StrategyContext context, ResourceDefinition resource, JsonObject obj, JsonObject old)
    {
        FoldStringData(obj);
        if (obj["type"] is null || obj.GetString("type") == "")
        {
            obj["type"] = old["type"]?.DeepClone() ?? "Opaque";
        }
    }

    public override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var data = obj.GetObject("data");
        DataKeys.Validate(data, "data", causes);
        if (data is null)
        {
            return;
        }

        foreach (var (key, value) in data)
        {
            if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String || !IsBase64(v.GetValue<string>()))
            {
                causes.Add(FieldErrors.Invalid($"data[{key}]", value, "must be base64 encoded bytes"));
            }
        }
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<StatusCause> causes)
    {
        if (!JsonNode.DeepEquals(obj["type"], old["type"]))
        {
            causes.Add(FieldErrors.Immutable("type", obj["type"]));
        }

        DataKeys.ValidateImmutable(obj, old, ["data"], causes);
    }

    private static void FoldStringData(JsonObject obj)
    {
        if (obj.GetObject("stringData") is not { } stringData)
        {
            obj.Remove("stringData");
            return;
        }

        var data = obj.GetOrAddObject("data");
        foreach (var (key, value) in stringData)
        {
            var text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? "";
            data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        }

        obj.Remove("stringData");
    }

    private static bool IsBase64(string text)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out _);
    }
}
