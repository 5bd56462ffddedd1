using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Registry;

namespace Monokube.ApiServer.Validation;

/// <summary>Validation of metadata every object shares: name, labels, annotations, finalizers, owner references.</summary>
public static class ObjectMetaValidation
{
    private const int AnnotationsTotalLimit = 256 * 1024;

    public static void Validate(JsonObject metadata, NameRule rule, List<StatusCause> causes)
    {
        var name = metadata["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null;
        if (string.IsNullOrEmpty(name))
        {
            causes.Add(FieldErrors.Required("metadata.name", "name or generateName is required"));
        }
        else
        {
            foreach (var problem in NameValidation.Check(name, rule))
            {
                causes.Add(FieldErrors.Invalid("metadata.name", name, problem));
            }
        }

        ValidateLabels(metadata["labels"], "metadata.labels", causes);
        ValidateAnnotations(metadata["annotations"], causes);
        ValidateFinalizers(metadata["finalizers"], causes);
        ValidateOwnerReferences(metadata["ownerReferences"], causes);
    }

    public static void ValidateLabels(JsonNode? labels, string field, List<StatusCause> causes)
    {
        if (labels is not JsonObject map)
        {
            return;
        }

        foreach (var (key, value) in map)
        {
            foreach (var problem in NameValidation.CheckQualifiedName(key))
            {
                causes.Add(FieldErrors.Invalid(field, key, problem));
            }

            var text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";
            foreach (var problem in NameValidation.CheckLabelValue(text))
            {
                causes.Add(FieldErrors.Invalid(field, text, problem));
            }
        }
    }

    private static void ValidateAnnotations(JsonNode? annotations, List<StatusCause> causes)
    {
        if (annotations is not JsonObject map)
        {
            return;
        }

        long total = 0;
        foreach (var (key, value) in map)
        {
            foreach (var problem in NameValidation.CheckQualifiedName(key.ToLowerInvariant()))
            {
                causes.Add(FieldErrors.Invalid("metadata.annotations", key, problem));
            }

            total += key.Length + (value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>().Length : 0);
        }

        if (total > AnnotationsTotalLimit)
        {
            causes.Add(new StatusCause("FieldValueTooLong", $"Too long: must have at most {AnnotationsTotalLimit} bytes", "metadata.annotations"));
        }
    }

    private static void ValidateFinalizers(JsonNode? finalizers, List<StatusCause> causes)
    {
        if (finalizers is not JsonArray list)
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var text = list[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";
            var field = $"metadata.finalizers[{i}]";
            foreach (var problem in NameValidation.CheckQualifiedName(text))
            {
                causes.Add(FieldErrors.Invalid(field, text, problem));
            }

            if (text.Length > 0 && !seen.Add(text))
            {
                causes.Add(FieldErrors.Duplicate(field, text));
            }
        }
    }

    private static void ValidateOwnerReferences(JsonNode? references, List<StatusCause> causes)
    {
        if (references is not JsonArray list)
        {
            return;
        }

        var controllers = 0;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject reference)
            {
                continue;
            }

            var field = $"metadata.ownerReferences[{i}]";
            foreach (var required in new[] { "apiVersion", "kind", "name", "uid" })
            {
                if (reference[required] is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>().Length == 0)
                {
                    causes.Add(FieldErrors.Invalid($"{field}.{required}", "", $"{required} must not be empty"));
                }
            }

            if (reference["controller"] is JsonValue c && c.GetValueKind() == JsonValueKind.True)
            {
                controllers++;
            }
        }

        if (controllers > 1)
        {
            causes.Add(FieldErrors.Invalid("metadata.ownerReferences", references, "Only one reference can have Controller set to true"));
        }
    }
}
