using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Discovery;
using Monokube.ApiServer.Requests;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

/// <summary>
/// The one entry point of /api and /apis: parses what the request addresses, routes it to discovery or to the
/// resource handler, and turns every failure into a Kubernetes Status.
/// </summary>
public sealed partial class ApiDispatcher(ApiContext api, DiscoveryHandler discovery, ResourceHandler resources)
{
    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            var info = RequestInfoParser.Parse(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.Query["watch"].ToString() is "true" or "1");
            if (!info.IsResourceRequest)
            {
                var host = context.Request.Host.HasValue ? context.Request.Host.Value : "127.0.0.1";
                await discovery.HandleAsync(context, info, host!);
                return;
            }

            var resource = api.Registry.Find(info.Group, info.Version, info.Resource) ?? throw new ApiException(Status.NotFoundPath());
            await resources.HandleAsync(context, info, resource);
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(context, e.Status);
        }
        catch (StoreUnavailableException e)
        {
            LogStoreUnavailable(api.Logger, context.Request.Method, context.Request.Path, e.Message);
            await WriteErrorAsync(context, Statuses.InternalError(e.Message));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteErrorAsync(context, Statuses.RequestEntityTooLarge("the request body is larger than the server accepts (3 MiB)"));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogUnexpected(api.Logger, e, context.Request.Method, context.Request.Path);
            await WriteErrorAsync(context, Statuses.InternalError("the server could not handle the request; see its log"));
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, Status status)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Headers.Remove("Warning");
        await StatusWriter.WriteAsync(context, status);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "{Method} {Path}: storage unavailable: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
