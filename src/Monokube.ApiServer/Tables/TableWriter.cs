using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;

namespace Monokube.ApiServer.Tables;

/// <summary>Writes a meta.k8s.io Table: the resource's column definitions and one row per object.</summary>
public static class TableWriter
{
    public static void WriteColumnDefinitions(Utf8JsonWriter w, IReadOnlyList<TableColumn> columns)
    {
        w.WriteStartArray("columnDefinitions");
        foreach (var c in columns)
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteString("type", c.Type);
            w.WriteString("format", c.Format);
            w.WriteString("description", c.Description);
            w.WriteNumber("priority", c.Priority);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>One row; <paramref name="includeObject"/> is None, Metadata (PartialObjectMetadata) or Object.</summary>
    public static void WriteRow(Utf8JsonWriter w, IReadOnlyList<TableColumn> columns, JsonObject obj, DateTimeOffset now, string includeObject, string metaApiVersion)
    {
        w.WriteStartObject();
        WriteCells(w, columns, obj, now);
        if (includeObject != "None")
        {
            w.WritePropertyName("object");
            if (includeObject == "Object")
            {
                obj.WriteTo(w);
            }
            else
            {
                WritePartialObjectMetadata(w, obj, metaApiVersion);
            }
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// One row of an object as stored (a list's items): the cells read a tree built over the bytes only where the
    /// columns look, and the object, or its metadata, is copied from the bytes as they are instead of written again
    /// from a tree.
    /// </summary>
    public static void WriteRow(Utf8JsonWriter w, IReadOnlyList<TableColumn> columns, byte[] json, DateTimeOffset now, string includeObject, string metaApiVersion)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        w.WriteStartObject();
        WriteCells(w, columns, root.ValueKind == JsonValueKind.Object ? JsonObject.Create(root)! : [], now);
        if (includeObject != "None")
        {
            w.WritePropertyName("object");
            if (includeObject == "Object")
            {
                w.WriteRawValue(json, skipInputValidation: true);
            }
            else
            {
                WritePartialObjectMetadata(w, root, metaApiVersion);
            }
        }

        w.WriteEndObject();
    }

    public static void WritePartialObjectMetadata(Utf8JsonWriter w, JsonObject obj, string metaApiVersion)
    {
        WritePartialObjectMetadataHead(w, metaApiVersion);
        (obj["metadata"] ?? new JsonObject()).WriteTo(w);
        w.WriteEndObject();
    }

    /// <summary>The PartialObjectMetadata of an object as stored (the server's own valid JSON), its metadata copied from the bytes.</summary>
    public static void WritePartialObjectMetadata(Utf8JsonWriter w, byte[] json, string metaApiVersion)
    {
        using var document = JsonDocument.Parse(json);
        WritePartialObjectMetadata(w, document.RootElement, metaApiVersion);
    }

    private static void WritePartialObjectMetadata(Utf8JsonWriter w, JsonElement obj, string metaApiVersion)
    {
        WritePartialObjectMetadataHead(w, metaApiVersion);
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty("metadata", out var metadata))
        {
            w.WriteRawValue(JsonMarshal.GetRawUtf8Value(metadata), skipInputValidation: true);
        }
        else
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    // Everything of a PartialObjectMetadata before its metadata's value.
    private static void WritePartialObjectMetadataHead(Utf8JsonWriter w, string metaApiVersion)
    {
        w.WriteStartObject();
        w.WriteString("kind", "PartialObjectMetadata");
        w.WriteString("apiVersion", metaApiVersion);
        w.WritePropertyName("metadata");
    }

    private static void WriteCells(Utf8JsonWriter w, IReadOnlyList<TableColumn> columns, JsonObject obj, DateTimeOffset now)
    {
        w.WriteStartArray("cells");
        foreach (var column in columns)
        {
            var cell = column.Cell(obj, now);
            if (cell is null)
            {
                w.WriteNullValue();
            }
            else
            {
                cell.WriteTo(w);
            }
        }

        w.WriteEndArray();
    }

    public static IReadOnlyList<TableColumn> ColumnsFor(ResourceDefinition resource) => TablePrinters.For(resource);

    internal static string Get(JsonObject o, string path) => o.GetString(path) ?? "";
}
