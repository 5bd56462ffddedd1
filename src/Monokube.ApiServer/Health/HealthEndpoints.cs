using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Monokube.ApiServer.Health;

/// <summary>/healthz, /livez, /readyz as kube-apiserver serves them: "ok", or with ?verbose one line per check.</summary>
public sealed partial class HealthEndpoints(HealthCheckRegistry registry, ILogger logger)
{
    /// <summary>
    /// Serves a GET of /healthz, /livez or /readyz, or of one check under them (/readyz/etcd), a trailing slash
    /// allowed; null for any other request.
    /// </summary>
    public Task? TryServe(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path.Value is not { Length: > 1 } path)
        {
            return null;
        }

        path = path.EndsWith('/') ? path[1..^1] : path[1..];
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? path : path[..slash];
        if (first is not ("healthz" or "livez" or "readyz"))
        {
            return null;
        }

        var readiness = first == "readyz";
        if (slash < 0)
        {
            return ServeAllAsync(context, first, readiness);
        }

        var check = path[(slash + 1)..];
        return check.Length == 0 || check.Contains('/', StringComparison.Ordinal) ? null : ServeOneAsync(context, check, readiness);
    }

    private async Task ServeAllAsync(HttpContext context, string path, bool readiness)
    {
        var excluded = context.Request.Query["exclude"].Where(e => e is not null).Select(e => e!).ToHashSet(StringComparer.Ordinal);
        var verbose = context.Request.Query.ContainsKey("verbose");

        var report = new StringBuilder();
        var failed = false;
        foreach (var check in registry.Checks)
        {
            if (check.ReadinessOnly && !readiness)
            {
                continue;
            }

            if (excluded.Contains(check.Name))
            {
                report.Append("[+]").Append(check.Name).Append(" excluded: ok\n");
                continue;
            }

            var reason = await RunAsync(check, context.RequestAborted);
            if (reason is null)
            {
                report.Append("[+]").Append(check.Name).Append(" ok\n");
                continue;
            }

            failed = true;
            LogCheckFailed(logger, path, check.Name, reason);
            report.Append("[-]").Append(check.Name).Append(" failed: reason withheld\n");
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        if (failed)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsync(report + path + " check failed\n");
            return;
        }

        await context.Response.WriteAsync(verbose ? report + path + " check passed\n" : "ok");
    }

    private async Task ServeOneAsync(HttpContext context, string name, bool readiness)
    {
        var check = registry.Checks.FirstOrDefault(c => c.Name == name && (readiness || !c.ReadinessOnly));
        context.Response.ContentType = "text/plain; charset=utf-8";
        if (check is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync("404 page not found\n");
            return;
        }

        var reason = await RunAsync(check, context.RequestAborted);
        if (reason is not null)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsync($"internal server error: {name} check failed\n");
            return;
        }

        await context.Response.WriteAsync("ok");
    }

    private static async Task<string?> RunAsync(HealthCheck check, CancellationToken cancellationToken)
    {
        try
        {
            return await check.CheckAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return e.Message;
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "{Path} check {Check} failed: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string path, string check, string reason);
}
