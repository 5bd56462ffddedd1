using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Requests;
using Monokube.ApiServer.Serialization;

namespace Monokube.ApiServer.Discovery;

/// <summary>
/// Serves /api, /apis, /api/v1, /apis/{group} and /apis/{group}/{version}. /api and /apis answer in the
/// aggregated format (apidiscovery.k8s.io v2 or v2beta1) when the Accept header asks for it first, and in the
/// legacy format otherwise; documents are built once per registry generation.
/// </summary>
public sealed class DiscoveryHandler(ResourceRegistry registry)
{
    private readonly ConcurrentDictionary<(long Generation, string Key), (byte[] Body, string ETag)> _cache = new();

    public async Task HandleAsync(HttpContext context, RequestInfo info, string serverAddress)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            throw new ApiException(Statuses.MethodNotAllowed("the server does not allow this method on the requested resource"));
        }

        if (info.ApiPrefix == "api" && info.Version.Length == 0)
        {
            await ServeRootAsync(context, core: true, () => DiscoveryDocuments.ApiVersions(serverAddress));
            return;
        }

        if (info.ApiPrefix == "apis" && info.Group.Length == 0)
        {
            await ServeRootAsync(context, core: false, () => DiscoveryDocuments.ApiGroupList(registry));
            return;
        }

        if (info.ApiPrefix == "apis" && info.Version.Length == 0)
        {
            var group = registry.FindGroup(info.Group) ?? throw new ApiException(Status.NotFoundPath());
            await WriteLegacyAsync(context, Cached("group/" + info.Group, () => DiscoveryDocuments.ApiGroup(group)).Body);
            return;
        }

        if (registry.InGroupVersion(info.Group, info.Version).Count == 0)
        {
            throw new ApiException(Status.NotFoundPath());
        }

        await WriteLegacyAsync(context, Cached($"resources/{info.Group}/{info.Version}", () => DiscoveryDocuments.ApiResourceList(registry, info.Group, info.Version)).Body);
    }

    private async Task ServeRootAsync(HttpContext context, bool core, Func<byte[]> legacy)
    {
        var version = AggregatedVersion(context.Request.Headers.Accept);
        if (version is null)
        {
            await WriteLegacyAsync(context, Cached(core ? "api" : "apis", legacy).Body);
            return;
        }

        var (body, etag) = Cached($"aggregated/{core}/{version}", () => DiscoveryDocuments.Aggregated(registry, core, version));
        context.Response.Headers.ETag = etag;
        context.Response.Headers.Vary = "Accept";
        context.Response.Headers.CacheControl = "public";
        context.Response.ContentType = $"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>The aggregated discovery version the first acceptable Accept clause asks for, or null for legacy.</summary>
    public static string? AggregatedVersion(string? accept)
    {
        foreach (var choice in MediaType.ParseAccept(accept))
        {
            if (choice.Type is not ("application/json" or "*/*" or "application/*"))
            {
                continue;
            }

            if (choice["as"] is null && choice["g"] is null)
            {
                return null;
            }

            if (choice["g"] == "apidiscovery.k8s.io" && choice["as"] == "APIGroupDiscoveryList" && choice["v"] is "v2" or "v2beta1")
            {
                return choice["v"];
            }
        }

        return null;
    }

    private static async Task WriteLegacyAsync(HttpContext context, byte[] body)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-cache, private";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private (byte[] Body, string ETag) Cached(string key, Func<byte[]> build)
    {
        var generation = registry.Generation;
        return _cache.GetOrAdd((generation, key), _ =>
        {
            foreach (var stale in _cache.Keys.Where(k => k.Generation != generation))
            {
                _cache.TryRemove(stale, out (byte[], string) _);
            }

            var body = build();
            return (body, DiscoveryDocuments.ETag(body));
        });
    }
}
