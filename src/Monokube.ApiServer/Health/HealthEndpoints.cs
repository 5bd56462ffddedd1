using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Monokube.ApiServer.Health;

/// <summary>/healthz, /livez, /readyz as kube-apiserver serves them: "ok", or with ?verbose one line per check.</summary>
public static partial class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        foreach (var path in new[] { "healthz", "livez", "readyz" })
        {
            var readiness = path == "readyz";
            endpoints.MapGet("/" + path, context => ServeAllAsync(context, path, readiness));
            endpoints.MapGet("/" + path + "/{check}", context => ServeOneAsync(context, (string)context.GetRouteValue("check")!, readiness));
        }
    }

    private static async Task ServeAllAsync(HttpContext context, string path, bool readiness)
    {
        var registry = context.RequestServices.GetRequiredService<HealthCheckRegistry>();
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Monokube.Health");
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

    private static async Task ServeOneAsync(HttpContext context, string name, bool readiness)
    {
        var registry = context.RequestServices.GetRequiredService<HealthCheckRegistry>();
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
