using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;

namespace Monokube.ApiServer.Validation;

/// <summary>Field errors in the words of apimachinery's field.Error, so clients see kube-apiserver's messages.</summary>
public static class FieldErrors
{
    public static StatusCause Invalid(string field, string? value, string detail) =>
        new("FieldValueInvalid", $"Invalid value: {Quote(value)}: {detail}", field);

    public static StatusCause Invalid(string field, JsonNode? value, string detail) =>
        new("FieldValueInvalid", $"Invalid value: {Render(value)}: {detail}", field);

    public static StatusCause Required(string field, string detail = "") =>
        new("FieldValueRequired", detail.Length == 0 ? "Required value" : "Required value: " + detail, field);

    public static StatusCause Forbidden(string field, string detail) =>
        new("FieldValueForbidden", "Forbidden: " + detail, field);

    public static StatusCause Duplicate(string field, string value) =>
        new("FieldValueDuplicate", $"Duplicate value: {Quote(value)}", field);

    public static StatusCause NotSupported(string field, string? value, IEnumerable<string> supported) =>
        new("FieldValueNotSupported", $"Unsupported value: {Quote(value)}: supported values: {string.Join(", ", supported.Select(s => Quote(s)))}", field);

    public static StatusCause TooLong(string field, int max) =>
        new("FieldValueTooLong", $"Too long: may not be more than {max} bytes", field);

    public static StatusCause TooMany(string field, int actual, long max) =>
        new("FieldValueTooMany", $"Too many: {actual}: must have at most {max} items", field);

    public static StatusCause TypeInvalid(string field, JsonNode? value, string detail) =>
        new("FieldValueTypeInvalid", $"Invalid value: {Render(value)}: {detail}", field);

    public static StatusCause Immutable(string field, JsonNode? value) =>
        new("FieldValueInvalid", $"Invalid value: {Render(value)}: field is immutable", field);

    /// <summary>The message of an Invalid status: `Kind "name" is invalid: field: detail` or with several causes in brackets.</summary>
    public static string InvalidMessage(string kind, string? name, IReadOnlyList<StatusCause> causes)
    {
        var items = causes.Select(c => $"{c.Field}: {c.Message}").ToList();
        var list = items.Count == 1 ? items[0] : "[" + string.Join(", ", items) + "]";
        return $"{kind} \"{name}\" is invalid: {list}";
    }

    private static string Quote(string? value) => value is null ? "null" : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Render(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => Quote(v.GetValue<string>()),
        _ => value.ToJsonString(),
    };
}
