using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Serialization;
using Monokube.ApiServer.Serialization.Protobuf;
using YamlDotNet.Core;

namespace Monokube.ApiServer.Handlers;

/// <summary>Reads a request body as one JSON object, from JSON or YAML, with every failure a Status.</summary>
public static class RequestBody
{
    public const string ProtobufMediaType = "application/vnd.kubernetes.protobuf";

    /// <summary>The largest body accepted (kube-apiserver: 3 MiB).</summary>
    public const long MaxBodyBytes = 3 * 1024 * 1024;

    // A larger body is read to its end (up to this much) before the 413 is sent, so the client, which writes its
    // whole body before it reads the answer, gets the Status instead of a reset connection.
    private const long DrainLimit = 64 * 1024 * 1024;

    public static async Task<byte[]> ReadBytesAsync(HttpContext context)
    {
        if (context.Request.ContentLength is > DrainLimit)
        {
            context.Response.Headers.Connection = "close";
            throw new ApiException(Statuses.RequestEntityTooLarge($"the request body is larger than the {MaxBodyBytes / (1024 * 1024)} MiB the server accepts"));
        }

        if (context.Request.ContentLength is { } length and <= MaxBodyBytes)
        {
            // The common case: read straight into an array of the body's size (Kestrel fails the read of a body
            // shorter than its Content-Length, and ends it there).
            var body = new byte[length];
            var filled = 0;
            int got;
            while (filled < body.Length && (got = await context.Request.Body.ReadAsync(body.AsMemory(filled), context.RequestAborted)) > 0)
            {
                filled += got;
            }

            return filled == body.Length ? body : body[..filled];
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long total = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                total += read;
                if (total <= MaxBodyBytes)
                {
                    buffer.Write(chunk, 0, read);
                }
                else if (total > DrainLimit)
                {
                    context.Response.Headers.Connection = "close";
                    break;
                }
            }

            if (total > MaxBodyBytes)
            {
                throw new ApiException(Statuses.RequestEntityTooLarge($"the request body is larger than the {MaxBodyBytes / (1024 * 1024)} MiB the server accepts"));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    /// <summary>The media type of the body; one not in <paramref name="accepted"/> is refused with 415.</summary>
    public static MediaType ContentType(HttpContext context, IReadOnlyCollection<string> accepted)
    {
        var header = context.Request.ContentType;
        if (string.IsNullOrWhiteSpace(header))
        {
            throw new ApiException(Statuses.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: {string.Join(", ", accepted)}"));
        }

        var type = MediaType.Parse(header);
        if (!accepted.Contains(type.Type))
        {
            throw new ApiException(Statuses.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: {string.Join(", ", accepted)}"));
        }

        return type;
    }

    /// <summary>Reads an object body (POST/PUT) in JSON, YAML or Kubernetes protobuf.</summary>
    public static async Task<(JsonObject Object, List<string> Duplicates)> ReadObjectAsync(HttpContext context)
    {
        var type = ContentType(context, ["application/json", "application/yaml", ProtobufMediaType]);
        var bytes = await ReadBytesAsync(context);
        var duplicates = new List<string>();
        var node = type.Type switch
        {
            "application/yaml" => ParseYaml(bytes),
            ProtobufMediaType => ParseProtobuf(bytes),
            _ => ParseJson(bytes, duplicates),
        };
        if (node is not JsonObject obj)
        {
            throw new ApiException(Statuses.BadRequest($"the request body must be a JSON object, not {Describe(node)}"));
        }

        return (obj, duplicates);
    }

    public static JsonNode? ParseJson(byte[] bytes, List<string>? duplicates)
    {
        if (bytes.Length == 0)
        {
            throw new ApiException(Statuses.BadRequest("the request body is empty; it must be a JSON object"));
        }

        try
        {
            return JsonBodyParser.Parse(bytes, duplicates);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ApiException(Statuses.BadRequest("the request body is not valid JSON: " + e.Message));
        }
    }

    public static JsonObject ParseProtobuf(byte[] bytes)
    {
        try
        {
            return ProtobufDecoder.Decode(bytes);
        }
        catch (ProtobufException e)
        {
            throw new ApiException(e.Unsupported ? Statuses.UnsupportedMediaType(e.Message) : Statuses.BadRequest("the request body is not valid protobuf: " + e.Message));
        }
    }

    public static JsonNode? ParseYaml(byte[] bytes)
    {
        try
        {
            return YamlBodyParser.Parse(Encoding.UTF8.GetString(bytes));
        }
        catch (YamlException e)
        {
            throw new ApiException(Statuses.BadRequest("the request body is not valid YAML: " + e.Message));
        }
        catch (DecoderFallbackException)
        {
            throw new ApiException(Statuses.BadRequest("the request body is not valid UTF-8"));
        }
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        _ => "a " + node.GetValueKind().ToString().ToLowerInvariant(),
    };
}
