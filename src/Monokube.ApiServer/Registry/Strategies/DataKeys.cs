using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>Rules shared by ConfigMap and Secret data: key format, and immutability once `immutable: true`.</summary>
internal static class DataKeys
{
    private const string KeyMessage = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

    public static void Validate(JsonObject? data, string field, List<StatusCause> causes)
    {
        if (data is null)
        {
            return;
        }

        foreach (var (key, _) in data)
        {
            if (key.Length == 0 || key.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.')))
            {
                causes.Add(FieldErrors.Invalid(field, key, KeyMessage));
            }
            else if (key is "." or ".." || key.StartsWith("..", StringComparison.Ordinal))
            {
                causes.Add(FieldErrors.Invalid(field, key, "must not be '.' or '..' or start with '..'"));
            }
        }
    }

    public static void ValidateImmutable(JsonObject obj, JsonObject old, string[] fields, List<StatusCause> causes)
    {
        if (old["immutable"] is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.True)
        {
            return;
        }

        if (!JsonNode.DeepEquals(obj["immutable"], old["immutable"]))
        {
            causes.Add(FieldErrors.Forbidden("immutable", "field is immutable when `immutable` is set"));
        }

        foreach (var field in fields)
        {
            if (!JsonNode.DeepEquals(obj[field], old[field]))
            {
                causes.Add(FieldErrors.Forbidden(field, "field is immutable when `immutable` is set"));
            }
        }
    }
}
