using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;
using Monokube.ApiServer.Tables;

namespace Monokube.ApiServer.Handlers;

/// <summary>Writes objects and lists in the format the client negotiated: JSON, YAML, Table or partial metadata.</summary>
public static class ObjectWriter
{
    private const int StreamChunkBytes = 64 * 1024;

    public static async Task WriteObjectAsync(HttpContext context, ApiContext api, ResourceDefinition resource, byte[] json, int statusCode = StatusCodes.Status200OK)
    {
        var format = OutputNegotiation.Negotiate(context.Request.Headers.Accept, isList: false);
        context.Response.StatusCode = statusCode;
        switch (format.Kind)
        {
            case OutputKind.Json:
                await WriteBytesAsync(context, "application/json", json);
                return;
            case OutputKind.Yaml:
                await WriteBytesAsync(context, "application/yaml", Encoding.UTF8.GetBytes(YamlOutput.ToYaml(Parse(json))));
                return;
            case OutputKind.PartialObjectMetadata:
                await WriteBytesAsync(context, "application/json", Write(w => TableWriter.WritePartialObjectMetadata(w, json, format.MetaApiVersion)));
                return;
            default:
                var obj = Parse(json);
                var rv = obj["metadata"]?["resourceVersion"]?.ToString();
                await WriteBytesAsync(context, "application/json", WriteTable(api, resource, [obj], format, context.Request.Query["includeObject"].ToString(), rv, null, null, includeColumns: true));
                return;
        }
    }

    public static async Task WriteListAsync(HttpContext context, ApiContext api, ResourceDefinition resource, IReadOnlyList<byte[]> items, ListMetadata meta, OutputFormat format, string includeObject)
    {
        var rv = meta.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        switch (format.Kind)
        {
            case OutputKind.Table:
                await StreamTableAsync(context, api, resource, items, format, includeObject, rv, meta);
                return;
            case OutputKind.PartialObjectMetadataList:
                await StreamAsync(context, w =>
                {
                    w.WriteString("kind", "PartialObjectMetadataList");
                    w.WriteString("apiVersion", format.MetaApiVersion);
                    WriteListMeta(w, rv, meta);
                    w.WriteStartArray("items");
                }, items, (w, item) => TableWriter.WritePartialObjectMetadata(w, item, format.MetaApiVersion));
                return;
        }

        if (format.Kind == OutputKind.Yaml)
        {
            var body = Write(w =>
            {
                WriteListHead(w, resource, rv, meta);
                foreach (var item in items)
                {
                    w.WriteRawValue(item, skipInputValidation: true);
                }

                w.WriteEndArray();
            }, wrap: true);
            await WriteBytesAsync(context, "application/yaml", Encoding.UTF8.GetBytes(YamlOutput.ToYaml(Parse(body))));
            return;
        }

        await StreamAsync(context, w => WriteListHead(w, resource, rv, meta), items, (w, item) => w.WriteRawValue(item, skipInputValidation: true));
    }

    // Everything of a list before its items, ending inside the open "items" array.
    private static void WriteListHead(Utf8JsonWriter w, ResourceDefinition resource, string rv, ListMetadata meta)
    {
        w.WriteString("kind", resource.ListKind);
        w.WriteString("apiVersion", resource.ApiVersion);
        WriteListMeta(w, rv, meta);
        w.WriteStartArray("items");
    }

    // A JSON object whose last member is an array of one element per item, sent as it is written (chunked, a flush
    // every StreamChunkBytes) rather than built whole in memory first. The head ends inside the open array.
    private static async Task StreamAsync(HttpContext context, Action<Utf8JsonWriter> writeHead, IReadOnlyList<byte[]> items, Action<Utf8JsonWriter, byte[]> writeItem)
    {
        context.Response.ContentType = "application/json";
        var pipe = context.Response.BodyWriter;
        using var w = new Utf8JsonWriter(pipe, JsonOutput.WriterOptions);
        w.WriteStartObject();
        writeHead(w);
        foreach (var item in items)
        {
            writeItem(w, item);
            if (w.BytesPending >= StreamChunkBytes)
            {
                w.Flush();
                await pipe.FlushAsync(context.RequestAborted);
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        await pipe.FlushAsync(context.RequestAborted);
    }

    /// <summary>A Table of the objects (one object, or a watch event's).</summary>
    public static byte[] WriteTable(ApiContext api, ResourceDefinition resource, IEnumerable<JsonObject> objects, OutputFormat format, string includeObject, string? rv, string? continueToken, long? remaining, bool includeColumns)
    {
        var columns = TableWriter.ColumnsFor(resource);
        var now = api.Time.GetUtcNow();
        return Write(w =>
        {
            WriteTableHead(w, columns, format, rv, continueToken, remaining, includeColumns);
            foreach (var obj in objects)
            {
                TableWriter.WriteRow(w, columns, obj, now, includeObject.Length == 0 ? "Metadata" : includeObject, format.MetaApiVersion);
            }

            w.WriteEndArray();
        }, wrap: true);
    }

    // A list as a Table goes out as it is written; each object is parsed when its row is written, so a large list is
    // never held as trees all at once.
    private static Task StreamTableAsync(HttpContext context, ApiContext api, ResourceDefinition resource, IReadOnlyList<byte[]> items, OutputFormat format, string includeObject, string rv, ListMetadata meta)
    {
        var columns = TableWriter.ColumnsFor(resource);
        var now = api.Time.GetUtcNow();
        var rowObject = includeObject.Length == 0 ? "Metadata" : includeObject;
        return StreamAsync(context, w => WriteTableHead(w, columns, format, rv, meta.Continue, meta.RemainingItemCount, includeColumns: true), items,
            (w, item) => TableWriter.WriteRow(w, columns, item, now, rowObject, format.MetaApiVersion));
    }

    // Everything of a Table before its rows, ending inside the open "rows" array.
    private static void WriteTableHead(Utf8JsonWriter w, IReadOnlyList<TableColumn> columns, OutputFormat format, string? rv, string? continueToken, long? remaining, bool includeColumns)
    {
        w.WriteString("kind", "Table");
        w.WriteString("apiVersion", format.MetaApiVersion);
        w.WriteStartObject("metadata");
        if (rv is not null)
        {
            w.WriteString("resourceVersion", rv);
        }

        if (continueToken is not null)
        {
            w.WriteString("continue", continueToken);
        }

        if (remaining is > 0)
        {
            w.WriteNumber("remainingItemCount", remaining.Value);
        }

        w.WriteEndObject();
        if (includeColumns)
        {
            TableWriter.WriteColumnDefinitions(w, columns);
        }

        w.WriteStartArray("rows");
    }

    public static async Task WriteBytesAsync(HttpContext context, string contentType, byte[] body)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    public static JsonObject Parse(byte[] json) => JsonBodyParser.Parse(json) as JsonObject ?? [];

    private static void WriteListMeta(Utf8JsonWriter w, string rv, ListMetadata meta)
    {
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", rv);
        if (meta.Continue is not null)
        {
            w.WriteString("continue", meta.Continue);
        }

        if (meta.RemainingItemCount is > 0)
        {
            w.WriteNumber("remainingItemCount", meta.RemainingItemCount.Value);
        }

        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body, bool wrap = false)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            if (wrap)
            {
                w.WriteStartObject();
            }

            body(w);
            if (wrap)
            {
                w.WriteEndObject();
            }
        }

        return buffer.WrittenSpan.ToArray();
    }
}
