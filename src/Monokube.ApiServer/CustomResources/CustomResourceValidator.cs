using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// Validates a custom resource against its CRD version's structural openAPIV3Schema as kube-apiserver does, with its
/// messages: type (and nullable), format, enum, required, pattern, minimum/maximum (exclusive too), multipleOf,
/// min/maxLength, min/maxItems, min/maxProperties, allOf/anyOf/oneOf/not, x-kubernetes-list-type set and map
/// (duplicates), and the apiVersion, kind and metadata of x-kubernetes-embedded-resource objects.
/// </summary>
public static partial class CustomResourceValidator
{
    public static void Validate(JsonObject obj, JsonObject schema, List<StatusCause> causes) => Check(obj, schema, "", causes, root: true);

    private static void Check(JsonNode? node, JsonObject schema, string path, List<StatusCause> causes, bool root = false)
    {
        var field = path.Length == 0 ? "<root>" : path;
        if (!CheckType(node, schema, path, field, causes))
        {
            return;
        }

        if (node is null)
        {
            return;
        }

        CheckCombinators(node, schema, path, field, causes);

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            causes.Add(FieldErrors.NotSupported(path, node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node.ToJsonString(), allowed.Select(a => a is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : a?.ToJsonString() ?? "null")));
        }

        switch (node)
        {
            case JsonObject obj:
                CheckObject(obj, schema, path, field, causes, root);
                break;
            case JsonArray array:
                CheckArray(array, schema, path, field, causes);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                CheckString(value.GetValue<string>(), schema, path, field, causes);
                break;
            case JsonValue number when number.GetValueKind() == JsonValueKind.Number:
                CheckNumber(number, schema, path, field, causes);
                break;
        }
    }

    // The JSON type against "type" (an integral number is an integer, an integer is a number) and "nullable".
    private static bool CheckType(JsonNode? node, JsonObject schema, string path, string field, List<StatusCause> causes)
    {
        var expected = schema.GetString("type");
        var actual = TypeOf(node);
        if (node is null)
        {
            if (schema.GetBool("nullable") || expected is null)
            {
                return true;
            }
        }
        else if (expected is null || expected == actual || (expected == "number" && actual == "integer"))
        {
            return true;
        }

        causes.Add(FieldErrors.TypeInvalid(path, actual, $"{field} in body must be of type {expected}: \"{actual}\""));
        return false;
    }

    /// <summary>The JSON Schema type of a value as kube names it in messages.</summary>
    public static string TypeOf(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Number => IsIntegral((JsonValue)node) ? "integer" : "number",
        _ => "null",
    };

    private static bool IsIntegral(JsonValue value) =>
        value.TryGetValue<long>(out _) || (double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && Math.Abs(d % 1) < double.Epsilon && Math.Abs(d) < 9.2e18);

    private static void CheckObject(JsonObject obj, JsonObject schema, string path, string field, List<StatusCause> causes, bool root)
    {
        foreach (var required in (schema["required"] as JsonArray ?? []).Select(r => r?.ToString()).OfType<string>())
        {
            if (!obj.ContainsKey(required))
            {
                causes.Add(FieldErrors.Required(Join(path, required)));
            }
        }

        if (schema.GetLong("maxProperties") is { } maxProperties && obj.Count > maxProperties)
        {
            causes.Add(FieldErrors.TooMany(path, obj.Count, maxProperties));
        }

        if (schema.GetLong("minProperties") is { } minProperties && obj.Count < minProperties)
        {
            causes.Add(FieldErrors.Invalid(path, "", $"{field} in body should have at least {minProperties} properties"));
        }

        var embedded = !root && schema.GetBool("x-kubernetes-embedded-resource");
        if (embedded)
        {
            CheckEmbeddedResource(obj, path, causes);
        }

        var properties = schema["properties"] as JsonObject;
        var values = schema["additionalProperties"] as JsonObject;
        foreach (var (name, value) in obj)
        {
            if ((root || embedded) && name is "metadata" or "apiVersion" or "kind")
            {
                continue;
            }

            if (properties?[name] is JsonObject child)
            {
                Check(value, child, Join(path, name), causes);
            }
            else if (values is not null)
            {
                Check(value, values, Join(path, name), causes);
            }
        }
    }

    private static void CheckArray(JsonArray array, JsonObject schema, string path, string field, List<StatusCause> causes)
    {
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

        CheckListType(array, schema, path, causes);
    }

    private static void CheckString(string text, JsonObject schema, string path, string field, List<StatusCause> causes)
    {
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

        if (schema.GetString("format") is { } format && !StringFormats.IsValid(format, text))
        {
            causes.Add(FieldErrors.TypeInvalid(path, text, $"{field} in body must be of type {format}: \"{text}\""));
        }
    }

    private static void CheckNumber(JsonValue number, JsonObject schema, string path, string field, List<StatusCause> causes)
    {
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

        if (schema["multipleOf"] is JsonValue factor && factor.GetValueKind() == JsonValueKind.Number && Number(factor) is var f && f > 0)
        {
            var quotient = n / f;
            if (Math.Abs(quotient - Math.Round(quotient)) > 1e-9)
            {
                causes.Add(FieldErrors.Invalid(path, (JsonNode)number, $"{field} in body should be a multiple of {factor.ToJsonString()}"));
            }
        }
    }

    // allOf, anyOf, oneOf and not: the value is checked against each alternative (without recording its causes
    // unless kube reports them: allOf reports the failing alternatives' own causes).
    private static void CheckCombinators(JsonNode? node, JsonObject schema, string path, string field, List<StatusCause> causes)
    {
        if (schema["allOf"] is JsonArray allOf)
        {
            var failed = false;
            foreach (var alternative in allOf.OfType<JsonObject>())
            {
                var inner = new List<StatusCause>();
                Check(node, alternative, path, inner);
                failed |= inner.Count > 0;
                causes.AddRange(inner.Where(c => !causes.Any(e => e.Field == c.Field && e.Message == c.Message)));
            }

            if (failed)
            {
                causes.Add(FieldErrors.Invalid(path, "", $"\"{field}\" must validate all the schemas (allOf)"));
            }
        }

        if (schema["anyOf"] is JsonArray anyOf && anyOf.Count > 0 && !anyOf.OfType<JsonObject>().Any(a => Passes(node, a, path)))
        {
            causes.Add(FieldErrors.Invalid(path, "", $"\"{field}\" must validate at least one schema (anyOf)"));
        }

        if (schema["oneOf"] is JsonArray oneOf && oneOf.Count > 0)
        {
            var valid = oneOf.OfType<JsonObject>().Count(a => Passes(node, a, path));
            if (valid != 1)
            {
                causes.Add(FieldErrors.Invalid(path, "", $"\"{field}\" must validate one and only one schema (oneOf). {(valid == 0 ? "Found none valid" : $"Found {valid} valid alternatives")}"));
            }
        }

        if (schema["not"] is JsonObject not && Passes(node, not, path))
        {
            causes.Add(FieldErrors.Invalid(path, "", $"\"{field}\" must not validate the schema (not)"));
        }
    }

    private static bool Passes(JsonNode? node, JsonObject schema, string path)
    {
        var inner = new List<StatusCause>();
        Check(node, schema, path, inner);
        return inner.Count == 0;
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
