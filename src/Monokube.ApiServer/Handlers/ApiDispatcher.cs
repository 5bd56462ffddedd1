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
        var original = context.RequestAborted;
        CancellationTokenSource? deadline = null;
        try
        {
            var info = RequestInfoParser.Parse(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.Query["watch"].ToString() is "true" or "1");

            // As kube-apiserver's request deadline: min(?timeout=, --request-timeout) for all but long-running requests.
            if (!IsLongRunning(info))
            {
                deadline = CancellationTokenSource.CreateLinkedTokenSource(original);
                deadline.CancelAfter(Deadline(context));
                context.RequestAborted = deadline.Token;
            }

            if (!info.IsResourceRequest)
            {
                var host = context.Request.Host.HasValue ? context.Request.Host.Value : "127.0.0.1";
                await discovery.HandleAsync(context, info, host!);
                return;
            }

            var resource = api.Registry.Find(info.Group, info.Version, info.Resource) ?? throw new ApiException(Status.NotFoundPath());
            await resources.HandleAsync(context, info, resource);
        }
        catch (Exception e) when (deadline?.IsCancellationRequested == true && !original.IsCancellationRequested && e is OperationCanceledException or StoreUnavailableException)
        {
            // The answer is written under the connection's own token, not the expired deadline.
            context.RequestAborted = original;
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            await WriteErrorAsync(context, new Status { Message = "Timeout: request did not complete within the allotted timeout", Reason = "Timeout", Details = new StatusDetails(), Code = 504 });
        }
        catch (ApiException e)
        {
            context.RequestAborted = original;
            await WriteErrorAsync(context, e.Status);
        }
        catch (StoreUnavailableException e)
        {
            context.RequestAborted = original;
            LogStoreUnavailable(api.Logger, context.Request.Method, context.Request.Path, e.Message);
            await WriteErrorAsync(context, Statuses.InternalError(e.Message));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            context.RequestAborted = original;
            await WriteErrorAsync(context, Statuses.RequestEntityTooLarge("the request body is larger than the server accepts (3 MiB)"));
        }
        catch (OperationCanceledException) when (original.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (api.Stopping.IsCancellationRequested)
        {
            // A long-running request (a watch) cut short by the server's shutdown.
            if (!context.Response.HasStarted)
            {
                await WriteErrorAsync(context, new Status { Message = "the server is shutting down", Reason = "ServiceUnavailable", Details = new StatusDetails(), Code = 503 });
            }
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            context.RequestAborted = original;
            LogUnexpected(api.Logger, e, context.Request.Method, context.Request.Path);
            await WriteErrorAsync(context, Statuses.InternalError("the server could not handle the request; see its log"));
        }
        finally
        {
            context.RequestAborted = original;
            deadline?.Dispose();
        }
    }

    // Watches and streaming subresources run as long as the client wants; everything else has a deadline.
    private static bool IsLongRunning(RequestInfo info) =>
        info.Verb == "watch" || info.Subresource is "log" or "exec" or "attach" or "portforward" or "proxy";

    private TimeSpan Deadline(HttpContext context)
    {
        var limit = api.Options.RequestTimeout;
        if (context.Request.Query["timeout"].ToString() is not { Length: > 0 } text)
        {
            return limit;
        }

        TimeSpan asked;
        try
        {
            asked = GoDuration.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ApiException(Statuses.BadRequest("invalid timeout specified in the request URL - " + e.Message));
        }

        return asked <= TimeSpan.Zero || asked > limit ? limit : asked;
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
