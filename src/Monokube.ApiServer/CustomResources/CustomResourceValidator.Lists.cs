using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.CustomResources;

public static partial class CustomResourceValidator
{
    // x-kubernetes-list-type set: no item twice; map: no two items with the same values of x-kubernetes-list-map-keys.
    private static void CheckListType(JsonArray array, JsonObject schema, string path, List<StatusCause> causes)
    {
        switch (schema.GetString("x-kubernetes-list-type"))
        {
            case "set":
                for (var i = 0; i < array.Count; i++)
                {
                    for (var j = 0; j < i; j++)
                    {
                        if (JsonNode.DeepEquals(array[i], array[j]))
                        {
                            causes.Add(Duplicate($"{path}[{i}]", GoValue(array[i])));
                            break;
                        }
                    }
                }

                break;
            case "map":
                var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray ?? []).Select(k => k?.ToString()).OfType<string>().Order(StringComparer.Ordinal).ToList();
                var seen = new List<JsonObject>();
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is not JsonObject item)
                    {
                        if (array[i] is not null)
                        {
                            causes.Add(FieldErrors.Invalid($"{path}[{i}]", array[i], "must be an object for an array of list-type map"));
                        }

                        continue;
                    }

                    var key = new JsonObject();
                    foreach (var name in keys.Where(item.ContainsKey))
                    {
                        key[name] = item[name]?.DeepClone();
                    }

                    if (key.Count == 0)
                    {
                        continue;
                    }

                    if (seen.Any(k => JsonNode.DeepEquals(k, key)))
                    {
                        causes.Add(Duplicate($"{path}[{i}]", GoValue(key)));
                    }
                    else
                    {
                        seen.Add(key);
                    }
                }

                break;
        }
    }

    private static StatusCause Duplicate(string field, string rendered) => new("FieldValueDuplicate", "Duplicate value: " + rendered, field);

    // How apimachinery's field errors print a decoded JSON value: strings quoted, numbers and booleans bare, objects
    // and arrays as Go's %#v of map[string]interface {} and []interface {}.
    private static string GoValue(JsonNode? node)
    {
        var text = new StringBuilder();
        Append(text, node);
        return text.ToString();

        static void Append(StringBuilder text, JsonNode? node)
        {
            switch (node)
            {
                case null:
                    text.Append("interface {}(nil)");
                    break;
                case JsonObject obj:
                    text.Append("map[string]interface {}{");
                    var first = true;
                    foreach (var (name, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        text.Append(first ? "" : ", ").Append(JsonValue.Create(name).ToJsonString()).Append(':');
                        Append(text, value);
                        first = false;
                    }

                    text.Append('}');
                    break;
                case JsonArray array:
                    text.Append("[]interface {}{");
                    for (var i = 0; i < array.Count; i++)
                    {
                        text.Append(i == 0 ? "" : ", ");
                        Append(text, array[i]);
                    }

                    text.Append('}');
                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    text.Append(value.ToJsonString());
                    break;
                default:
                    text.Append(node.ToJsonString());
                    break;
            }
        }
    }

    // An x-kubernetes-embedded-resource object is an object of its own: apiVersion and kind are required and
    // well-formed, and its metadata follows ObjectMeta's rules (a name is optional).
    private static void CheckEmbeddedResource(JsonObject obj, string path, List<StatusCause> causes)
    {
        var apiVersion = obj.GetString("apiVersion");
        if (string.IsNullOrEmpty(apiVersion))
        {
            causes.Add(FieldErrors.Required(Join(path, "apiVersion"), "must not be empty"));
        }
        else if (apiVersion.Split('/') is not ([{ Length: > 0 }] or [{ Length: > 0 }, { Length: > 0 }]))
        {
            causes.Add(FieldErrors.Invalid(Join(path, "apiVersion"), apiVersion, "must be a valid group/version"));
        }

        var kind = obj.GetString("kind");
        if (string.IsNullOrEmpty(kind))
        {
            causes.Add(FieldErrors.Required(Join(path, "kind"), "must not be empty"));
        }
        else if (NameValidation.Check(kind.ToLower(CultureInfo.InvariantCulture), NameRule.Dns1035Label).ToList() is { Count: > 0 } problems)
        {
            causes.Add(FieldErrors.Invalid(Join(path, "kind"), kind, "may have mixed case, but should otherwise match: " + string.Join(",", problems)));
        }

        if (obj["metadata"] is JsonObject metadata)
        {
            if (metadata.GetString("name") is { Length: > 0 } name)
            {
                foreach (var problem in NameValidation.Check(name, NameRule.DnsSubdomain))
                {
                    causes.Add(FieldErrors.Invalid(Join(path, "metadata.name"), name, problem));
                }
            }

            ObjectMetaValidation.ValidateLabels(metadata["labels"], Join(path, "metadata.labels"), causes);
        }
    }
}
