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
/// in missing fields on every write, and its value rules — required, enum, pattern, minimum/maximum (exclusive too),
/// min/maxLength, min/maxItems — refuse an object with 422 Invalid and the messages kube-apiserver gives.
/// </summary>
public sealed class CustomResourceStrategy : ResourceStrategy
{
    private readonly JsonObject? _schema;

    public CustomResourceStrategy(JsonObject? schema)
    {
        _schema = schema;
        TracksGeneration = true;
    }

    public override void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        base.PrepareForCreate(context, resource, obj);
        ApplyDefaults(obj, _schema);
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
            Check(obj, _schema, "", causes, root: true);
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

    private static void Check(JsonNode? node, JsonObject schema, string path, List<StatusCause> causes, bool root = false)
    {
        if (node is null)
        {
            return;
        }

        var field = path.Length == 0 ? "<root>" : path;
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            causes.Add(FieldErrors.NotSupported(path, node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node.ToJsonString(), allowed.Select(a => a is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : a?.ToJsonString() ?? "null")));
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var required in (schema["required"] as JsonArray ?? []).Select(r => r?.ToString()).OfType<string>())
                {
                    if (!obj.ContainsKey(required))
                    {
                        causes.Add(FieldErrors.Required(Join(path, required)));
                    }
                }

                if (schema["properties"] is JsonObject properties)
                {
                    foreach (var (name, value) in obj)
                    {
                        if (!(root && name is "metadata" or "apiVersion" or "kind") && properties[name] is JsonObject child)
                        {
                            Check(value, child, Join(path, name), causes);
                        }
                    }
                }
                else if (schema["additionalProperties"] is JsonObject values)
                {
                    foreach (var (name, value) in obj)
                    {
                        Check(value, values, Join(path, name), causes);
                    }
                }

                break;
            case JsonArray array:
                if (schema.GetLong("maxItems") is { } maxItems && array.Count > maxItems)
                {
                    causes.Add(FieldErrors.TooMany(path, array.Count, maxItems));
                }

                if (schema.GetLong("minItems") is { } minItems && array.Count < minItems)
                {
                    causes.Add(FieldErrors.Invalid(path, (JsonNode)array, $"{field} in body should have at least {minItems} items"));
                }

                if (schema["items"] is JsonObject items)
                {
                    for (var i = 0; i < array.Count; i++)
                    {
                        Check(array[i], items, $"{path}[{i}]", causes);
                    }
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                var length = new StringInfo(text).LengthInTextElements;
                if (schema.GetLong("maxLength") is { } maxLength && length > maxLength)
                {
                    causes.Add(FieldErrors.TooLong(path, (int)maxLength));
                }

                if (schema.GetLong("minLength") is { } minLength && length < minLength)
                {
                    causes.Add(FieldErrors.Invalid(path, text, $"{field} in body should be at least {minLength} chars long"));
                }

                if (schema.GetString("pattern") is { } pattern && !Matches(text, pattern))
                {
                    causes.Add(FieldErrors.Invalid(path, text, $"{field} in body should match '{pattern}'"));
                }

                break;
            case JsonValue number when number.GetValueKind() == JsonValueKind.Number:
                var n = Number(number);
                if (schema["maximum"] is JsonValue max && max.GetValueKind() == JsonValueKind.Number)
                {
                    var limit = Number(max);
                    var exclusive = schema.GetBool("exclusiveMaximum");
                    if (exclusive ? n >= limit : n > limit)
                    {
                        causes.Add(FieldErrors.Invalid(path, (JsonNode)number, $"{field} in body should be less than {(exclusive ? "" : "or equal to ")}{max.ToJsonString()}"));
                    }
                }

                if (schema["minimum"] is JsonValue min && min.GetValueKind() == JsonValueKind.Number)
                {
                    var limit = Number(min);
                    var exclusive = schema.GetBool("exclusiveMinimum");
                    if (exclusive ? n <= limit : n < limit)
                    {
                        causes.Add(FieldErrors.Invalid(path, (JsonNode)number, $"{field} in body should be greater than {(exclusive ? "" : "or equal to ")}{min.ToJsonString()}"));
                    }
                }

                break;
        }
    }

    // A JSON number whichever CLR type the node holds (parsed ones are longs or doubles).
    private static double Number(JsonValue value) => double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static bool Matches(string text, string pattern)
    {
        try
        {
            return Regex.IsMatch(text, pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (Exception e) when (e is ArgumentException or RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
