using System.Text.Json;
using Monokube.ApiServer.Patching;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.OpenApi;

/// <summary>
/// Writes structural schemas as OpenAPI schema objects (v3 "#/components/schemas/..." or v2 "#/definitions/..."),
/// collecting every definition a document refers to so that the document is closed.
/// </summary>
public sealed class SchemaWriter(DefinitionNames names, bool v3)
{
    private readonly Dictionary<string, SchemaNode> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<(string Group, string Version, string Kind)>> _gvks = new(StringComparer.Ordinal);

    public string RefPrefix => v3 ? "#/components/schemas/" : "#/definitions/";

    /// <summary>Marks a definition to be written, with the kinds it is the root schema of.</summary>
    public string Require(SchemaNode node, params (string Group, string Version, string Kind)[] gvks)
    {
        if (node.ModelName is null)
        {
            throw new InvalidOperationException("only model types have definitions");
        }

        var name = names.For(node.ModelName);
        _pending.TryAdd(name, node);
        if (gvks.Length > 0)
        {
            _gvks[name] = gvks;
        }

        return name;
    }

    /// <summary>
    /// The definition name of a resource's kind: a model type's, or a custom resource's published schema (registered
    /// to be written, with the ObjectMeta it refers to).
    /// </summary>
    public string RequireKind(ResourceDefinition resource)
    {
        if (resource.Schema?.ModelName is not null)
        {
            return Require(resource.Schema, (resource.Group, resource.Version, resource.Kind));
        }

        var name = CustomResourceOpenApi.DefinitionName(resource);
        _custom.TryAdd(name, CustomResourceOpenApi.KindSchema(resource, v3, RefPrefix));
        Require(ModelSchemas.For("V1ObjectMeta"));
        return name;
    }

    private readonly Dictionary<string, System.Text.Json.Nodes.JsonObject> _custom = new(StringComparer.Ordinal);

    /// <summary>A definition written by hand (lists of a kind), registered so it is emitted with the rest.</summary>
    public void RequireList(ResourceDefinition resource)
    {
        _lists[ListName(resource)] = resource;
    }

    private readonly Dictionary<string, ResourceDefinition> _lists = new(StringComparer.Ordinal);

    public string ListName(ResourceDefinition resource) => ItemName(resource) + "List";

    private string ItemName(ResourceDefinition resource) =>
        resource.Schema?.ModelName is { } model ? names.For(model) : CustomResourceOpenApi.DefinitionName(resource);

    public void WriteRef(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject();
        w.WriteString("$ref", RefPrefix + name);
        w.WriteEndObject();
    }

    /// <summary>Writes the schema of a property: a reference, a scalar, an array or a map, with its description and patch metadata.</summary>
    public void WriteProperty(Utf8JsonWriter w, SchemaNode node, string? description, PatchStrategy? patch)
    {
        w.WriteStartObject();
        WriteInline(w, node, description, wrapRef: true);
        if (patch is not null)
        {
            if (patch.MergeKey is { } key)
            {
                w.WriteString("x-kubernetes-patch-merge-key", key);
            }

            w.WriteString("x-kubernetes-patch-strategy", patch.Text);
            if (patch.MergeList)
            {
                w.WriteString("x-kubernetes-list-type", patch.MergeKey is null ? "set" : "map");
                if (patch.MergeKey is { } mapKey)
                {
                    w.WriteStartArray("x-kubernetes-list-map-keys");
                    w.WriteStringValue(mapKey);
                    w.WriteEndArray();
                }
            }
        }

        w.WriteEndObject();
    }

    private void WriteInline(Utf8JsonWriter w, SchemaNode node, string? description, bool wrapRef)
    {
        if (description is not null)
        {
            w.WriteString("description", description);
        }

        switch (node.Type)
        {
            case SchemaType.Object:
                var name = Require(node);
                if (v3 && wrapRef)
                {
                    w.WriteStartArray("allOf");
                    WriteRef(w, name);
                    w.WriteEndArray();
                    w.WriteStartObject("default");
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteString("$ref", RefPrefix + name);
                }

                break;
            case SchemaType.Array:
                w.WriteString("type", "array");
                w.WriteStartObject("items");
                WriteInline(w, node.Items!, null, wrapRef);
                w.WriteEndObject();
                break;
            case SchemaType.Map:
                w.WriteString("type", "object");
                w.WriteStartObject("additionalProperties");
                WriteInline(w, node.Items!, null, wrapRef);
                w.WriteEndObject();
                break;
            case SchemaType.String:
                w.WriteString("type", "string");
                break;
            case SchemaType.Integer:
                w.WriteString("type", "integer");
                w.WriteString("format", "int64");
                break;
            case SchemaType.Number:
                w.WriteString("type", "number");
                w.WriteString("format", "double");
                break;
            case SchemaType.Boolean:
                w.WriteString("type", "boolean");
                break;
            case SchemaType.DateTime:
                w.WriteString("type", "string");
                w.WriteString("format", "date-time");
                break;
            case SchemaType.Bytes:
                w.WriteString("type", "string");
                w.WriteString("format", "byte");
                break;
            case SchemaType.IntOrString:
                w.WriteString("$ref", RefPrefix + DefinitionNames.IntOrString);
                _pendingBuiltins.Add(DefinitionNames.IntOrString);
                break;
            case SchemaType.Quantity:
                w.WriteString("$ref", RefPrefix + DefinitionNames.Quantity);
                _pendingBuiltins.Add(DefinitionNames.Quantity);
                break;
            default:
                w.WriteString("type", "object");
                if (v3)
                {
                    w.WriteBoolean("x-kubernetes-preserve-unknown-fields", true);
                }

                break;
        }
    }

    private readonly HashSet<string> _pendingBuiltins = new(StringComparer.Ordinal);

    /// <summary>Writes every required definition (and those they require) into the open object.</summary>
    public void WriteDefinitions(Utf8JsonWriter w)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var next = _pending.Keys.Where(k => !written.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault();
            if (next is null)
            {
                break;
            }

            written.Add(next);
            var node = _pending[next];
            w.WriteStartObject(next);
            if (ModelDocs.Type(node.ModelName!) is { } description)
            {
                w.WriteString("description", description);
            }

            w.WriteString("type", "object");
            w.WriteStartObject("properties");
            foreach (var (field, child) in node.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.WritePropertyName(field);
                WriteProperty(w, child, ModelDocs.Property(node.ModelName!, field), PatchStrategies.Find(node.ModelName, field));
            }

            w.WriteEndObject();
            if (_gvks.TryGetValue(next, out var kinds))
            {
                WriteGvks(w, kinds);
            }

            w.WriteEndObject();
        }

        foreach (var (name, schema) in _custom.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(name);
            schema.WriteTo(w);
        }

        foreach (var (listName, resource) in _lists)
        {
            var listKind = resource.ListKind;
            var itemName = ItemName(resource);
            w.WriteStartObject(listName);
            w.WriteString("description", $"{listKind} is a list of {resource.Kind} objects.");
            w.WriteString("type", "object");
            w.WriteStartArray("required");
            w.WriteStringValue("items");
            w.WriteEndArray();
            w.WriteStartObject("properties");
            w.WriteStartObject("apiVersion");
            w.WriteString("description", "APIVersion defines the versioned schema of this representation of an object.");
            w.WriteString("type", "string");
            w.WriteEndObject();
            w.WriteStartObject("items");
            w.WriteString("description", $"List of {resource.Plural}.");
            w.WriteString("type", "array");
            w.WriteStartObject("items");
            if (v3)
            {
                w.WriteStartArray("allOf");
                WriteRef(w, itemName);
                w.WriteEndArray();
                w.WriteStartObject("default");
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("$ref", RefPrefix + itemName);
            }

            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("kind");
            w.WriteString("description", "Kind is a string value representing the REST resource this object represents.");
            w.WriteString("type", "string");
            w.WriteEndObject();
            w.WriteStartObject("metadata");
            w.WriteString("description", "Standard list metadata.");
            w.WriteString("$ref", RefPrefix + DefinitionNames.MetaPackage + ".ListMeta");
            w.WriteEndObject();
            w.WriteEndObject();
            WriteGvks(w, [(resource.Group, resource.Version, listKind)]);
            w.WriteEndObject();
        }

        // KubernetesClient models Status with a custom converter, so its schema is written here.
        w.WriteStartObject(DefinitionNames.MetaPackage + ".Status");
        w.WriteString("description", "Status is a return value for calls that don't return other objects.");
        w.WriteString("type", "object");
        w.WriteStartObject("properties");
        foreach (var (field, type) in new[] { ("apiVersion", "string"), ("code", "integer"), ("kind", "string"), ("message", "string"), ("reason", "string"), ("status", "string") })
        {
            w.WriteStartObject(field);
            w.WriteString("type", type);
            w.WriteEndObject();
        }

        w.WriteStartObject("details");
        w.WriteString("type", "object");
        w.WriteEndObject();
        w.WriteStartObject("metadata");
        w.WriteString("$ref", RefPrefix + DefinitionNames.MetaPackage + ".ListMeta");
        w.WriteEndObject();
        w.WriteEndObject();
        WriteGvks(w, [("", "v1", "Status")]);
        w.WriteEndObject();

        w.WriteStartObject(DefinitionNames.MetaPackage + ".Patch");
        w.WriteString("description", "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.");
        w.WriteString("type", "object");
        w.WriteEndObject();

        if (_pendingBuiltins.Contains(DefinitionNames.IntOrString))
        {
            w.WriteStartObject(DefinitionNames.IntOrString);
            w.WriteString("description", "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.");
            w.WriteString("type", "string");
            w.WriteString("format", "int-or-string");
            w.WriteEndObject();
        }

        if (_pendingBuiltins.Contains(DefinitionNames.Quantity))
        {
            w.WriteStartObject(DefinitionNames.Quantity);
            w.WriteString("description", "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.");
            w.WriteString("type", "string");
            w.WriteEndObject();
        }
    }

    private static void WriteGvks(Utf8JsonWriter w, IEnumerable<(string Group, string Version, string Kind)> kinds)
    {
        w.WriteStartArray("x-kubernetes-group-version-kind");
        foreach (var (group, version, kind) in kinds)
        {
            w.WriteStartObject();
            w.WriteString("group", group);
            w.WriteString("kind", kind);
            w.WriteString("version", version);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
