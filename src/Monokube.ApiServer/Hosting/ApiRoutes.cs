using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Discovery;
using Monokube.ApiServer.Handlers;
using Monokube.ApiServer.Health;
using Monokube.ApiServer.OpenApi;
using Monokube.ApiServer.Security;

namespace Monokube.ApiServer.Hosting;

/// <summary>
/// Which handler answers a request: /api and /apis go to the API; GET of the health checks, /version, the
/// service-account issuer's discovery and OpenAPI to theirs (one trailing slash allowed); anything else is a 404
/// Status, as kube-apiserver answers unknown paths. Paths are matched case-sensitively, as kube-apiserver matches them.
/// </summary>
internal sealed partial class ApiRoutes(ApiDispatcher dispatcher, HealthEndpoints health, OpenApiHandler openApi, SecurityContext security, ApiServerOptions options, ILogger logger)
{
    public Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (IsUnder(path, "/api") || IsUnder(path, "/apis"))
        {
            return dispatcher.HandleAsync(context);
        }

        if (health.TryServe(context) is { } served)
        {
            return served;
        }

        if (HttpMethods.IsGet(context.Request.Method))
        {
            switch (path.Length > 1 && path.EndsWith('/') ? path[..^1] : path)
            {
                case "/version":
                    return context.Response.WriteAsJsonAsync(options.Release.Info, ApiJsonContext.Relaxed.VersionInfo);
                case "/.well-known/openid-configuration":
                    return IssuerDiscovery.ConfigurationAsync(context, security.Tokens, options);
                case "/openid/v1/jwks":
                    return IssuerDiscovery.KeysAsync(context, security.Tokens);
                case "/openapi/v3":
                    return GuardAsync(context, openApi.IndexAsync);
                case "/openapi/v2":
                    return GuardAsync(context, openApi.V2Async);
            }

            if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
            {
                return GuardAsync(context, openApi.GroupVersionAsync);
            }
        }

        return StatusWriter.WriteAsync(context, Status.NotFoundPath());
    }

    private static bool IsUnder(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/');

    // Handlers outside the API dispatcher still answer every failure with a Status.
    private async Task GuardAsync(HttpContext context, Func<HttpContext, Task> handler)
    {
        try
        {
            await handler(context);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await StatusWriter.WriteAsync(context, e.Status);
        }
        catch (NotSupportedException e) when (!context.Response.HasStarted)
        {
            await StatusWriter.WriteAsync(context, Statuses.NotAcceptable(e.Message));
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            LogFailed(logger, e, context.Request.Path);
            await StatusWriter.WriteAsync(context, Statuses.InternalError("the server could not handle the request; see its log"));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Path} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, PathString path);
}
