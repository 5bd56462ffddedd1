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
        switch (includeObject)
        {
            case "Object":
                w.WritePropertyName("object");
                obj.WriteTo(w);
                break;
            case "None":
                break;
            default:
                w.WritePropertyName("object");
                WritePartialObjectMetadata(w, obj, metaApiVersion);
                break;
        }

        w.WriteEndObject();
    }

    public static void WritePartialObjectMetadata(Utf8JsonWriter w, JsonObject obj, string metaApiVersion)
    {
        w.WriteStartObject();
        w.WriteString("kind", "PartialObjectMetadata");
        w.WriteString("apiVersion", metaApiVersion);
        w.WritePropertyName("metadata");
        (obj["metadata"] ?? new JsonObject()).WriteTo(w);
        w.WriteEndObject();
    }

    public static IReadOnlyList<TableColumn> ColumnsFor(ResourceDefinition resource) => TablePrinters.For(resource);

    internal static string Get(JsonObject o, string path) => o.GetString(path) ?? "";
}
