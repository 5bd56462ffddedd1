using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Security;

/// <summary>
/// The service-account issuer's OpenID Connect discovery: /.well-known/openid-configuration and /openid/v1/jwks,
/// which relying parties use to verify service-account tokens without calling TokenReview.
/// </summary>
public static class IssuerDiscovery
{
    public static Task ConfigurationAsync(HttpContext context, ServiceAccountTokens tokens, ApiServerOptions options)
    {
        var host = options.Security.AdvertiseAddress ?? context.Request.Host.Host;
        var port = context.Request.Host.Port ?? options.Port;
        var document = new JsonObject
        {
            ["issuer"] = tokens.Issuer,
            ["jwks_uri"] = $"https://{(host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? "[" + host + "]" : host)}:{port}/openid/v1/jwks",
            ["response_types_supported"] = new JsonArray("id_token"),
            ["subject_types_supported"] = new JsonArray("public"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        };
        return WriteAsync(context, document, "application/json");
    }

    public static Task KeysAsync(HttpContext context, ServiceAccountTokens tokens) =>
        WriteAsync(context, tokens.Jwks(), "application/jwk-set+json");

    private static async Task WriteAsync(HttpContext context, JsonObject document, string contentType)
    {
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "public, max-age=3600";
        await context.Response.WriteAsync(document.ToJsonString(), context.RequestAborted);
    }
}
