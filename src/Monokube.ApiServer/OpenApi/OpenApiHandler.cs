using System.Text;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;

namespace Monokube.ApiServer.OpenApi;

/// <summary>
/// /openapi/v3 (index and group-version documents, with kube-openapi's hash, ETag and immutable caching) and
/// /openapi/v2. Documents are built once per registry generation.
/// </summary>
public sealed class OpenApiHandler(ResourceRegistry registry)
{
    private readonly Lock _gate = new();
    private Snapshot? _snapshot;

    public async Task IndexAsync(HttpContext context)
    {
        var snapshot = Current();
        context.Response.Headers.ETag = "\"" + snapshot.IndexHash + "\"";
        if (context.Request.Headers.IfNoneMatch.ToString() == "\"" + snapshot.IndexHash + "\"")
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        await WriteAsync(context, "application/json", snapshot.Index);
    }

    public async Task GroupVersionAsync(HttpContext context)
    {
        var path = (context.Request.Path.Value ?? "")["/openapi/v3/".Length..].TrimEnd('/');
        var snapshot = Current();
        if (!snapshot.Documents.TryGetValue(path, out var document))
        {
            throw new ApiException(Status.NotFoundPath());
        }

        var accept = MediaType.ParseAccept(context.Request.Headers.Accept);
        if (accept.Count > 0 && !accept.Any(a => a.Type is "application/json" or "*/*" or "application/*"))
        {
            throw new ApiException(Statuses.NotAcceptable("only application/json is served for OpenAPI v3 documents"));
        }

        context.Response.Headers.Vary = "Accept";
        context.Response.Headers.ETag = "\"" + document.Hash + "\"";
        var hash = context.Request.Query["hash"].ToString();
        if (hash.Length > 0)
        {
            if (hash != document.Hash)
            {
                context.Response.StatusCode = StatusCodes.Status301MovedPermanently;
                context.Response.Headers.Location = $"/openapi/v3/{path}?hash={document.Hash}";
                return;
            }

            context.Response.Headers.CacheControl = "public, immutable";
            context.Response.Headers.Expires = DateTimeOffset.UtcNow.AddYears(1).ToString("R");
        }

        await WriteAsync(context, "application/json", document.Body);
    }

    public async Task V2Async(HttpContext context)
    {
        var snapshot = Current();
        var accept = MediaType.ParseAccept(context.Request.Headers.Accept);
        foreach (var choice in accept.Count == 0 ? [MediaType.Parse("application/json")] : accept)
        {
            if (choice.Type is "application/json" or "*/*" or "application/*")
            {
                context.Response.Headers.ETag = "\"" + snapshot.V2Hash + "\"";
                await WriteAsync(context, "application/json", snapshot.V2);
                return;
            }

            if (choice.Type is "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" or "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            {
                await WriteAsync(context, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", snapshot.V2Protobuf.Value);
                return;
            }
        }

        throw new ApiException(Statuses.NotAcceptable("only application/json and application/com.github.proto-openapi.spec.v2.v1.0+protobuf are served for OpenAPI v2"));
    }

    private static async Task WriteAsync(HttpContext context, string contentType, byte[] body)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private Snapshot Current()
    {
        lock (_gate)
        {
            if (_snapshot is { } s && s.Generation == registry.Generation)
            {
                return s;
            }

            _snapshot = Build();
            return _snapshot;
        }
    }

    private Snapshot Build()
    {
        var generation = registry.Generation;
        var names = new DefinitionNames(registry);
        var documents = new Dictionary<string, (byte[] Body, string Hash)>(StringComparer.Ordinal);
        foreach (var group in registry.Groups)
        {
            foreach (var version in group.Versions)
            {
                var body = OpenApiDocuments.V3(registry, names, group.Name, version);
                documents[OpenApiDocuments.GroupVersionPath(group.Name, version)] = (body, OpenApiDocuments.Hash(body));
            }
        }

        var index = new StringBuilder("{\"paths\":{");
        var first = true;
        foreach (var (path, document) in documents.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            index.Append(first ? "" : ",").Append('"').Append(path).Append("\":{\"serverRelativeURL\":\"/openapi/v3/").Append(path).Append("?hash=").Append(document.Hash).Append("\"}");
            first = false;
        }

        index.Append("}}");
        var indexBytes = Encoding.UTF8.GetBytes(index.ToString());
        var v2 = OpenApiDocuments.V2(registry, names);
        return new Snapshot(generation, documents, indexBytes, OpenApiDocuments.Hash(indexBytes), v2, OpenApiDocuments.Hash(v2), new Lazy<byte[]>(() => OpenApiV2Protobuf.Encode(v2)));
    }

    private sealed record Snapshot(long Generation, Dictionary<string, (byte[] Body, string Hash)> Documents, byte[] Index, string IndexHash, byte[] V2, string V2Hash, Lazy<byte[]> V2Protobuf);
}
