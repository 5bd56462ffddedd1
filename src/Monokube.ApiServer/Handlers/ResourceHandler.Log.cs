using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Kubelet;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    // kube-apiserver reads at most this much of a kubelet's error reply.
    private const int MaxKubeletErrorBytes = 50_000;

    /// <summary>
    /// GET pods/{name}/log: checks the options, the pod and its container, then streams the kubelet's
    /// /containerLogs/{ns}/{pod}/{container} back as it arrives (text/plain), as kube-apiserver proxies it. A pod not
    /// bound to a node has no logs yet: 204, as kube-apiserver answers.
    /// </summary>
    private async Task LogAsync(HttpContext context, string ns, string podName)
    {
        var options = PodLogQuery.Parse(context.Request.Query, podName);
        var pods = api.Registry.Find("", "v1", "pods")!;
        var stored = await ReadAsync(pods, ns, podName, context.RequestAborted) ?? throw new ApiException(Statuses.NotFound(pods, podName));
        var pod = Decode(pods, stored);
        var container = ChooseContainer(pod, podName, options.Container);
        if (pod.GetString("spec.nodeName") is not { Length: > 0 } nodeName)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var nodes = api.Registry.Find("", "v1", "nodes")!;
        var node = await ReadAsync(nodes, null, nodeName, context.RequestAborted) ?? throw new ApiException(Statuses.NotFound(nodes, nodeName));
        var (endpoint, noAddress) = KubeletEndpoint.Of(Decode(nodes, node), kubelet.Options);
        if (endpoint is null)
        {
            throw new ApiException(new Status { Message = noAddress, Code = 500 });
        }

        var url = endpoint.Url($"/containerLogs/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(podName)}/{Uri.EscapeDataString(container)}", options.KubeletQuery());
        HttpResponseMessage response;
        try
        {
            response = await kubelet.GetAsync(url, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            // As kube-apiserver words a failed dial: the request, then why (kubectl: Error from server: Get "...": ...).
            throw new ApiException(new Status { Message = $"Get \"{url}\": {Describe(e)}", Code = 500 });
        }

        using (response)
        {
            if ((int)response.StatusCode is < 200 or > 206)
            {
                throw new ApiException(await KubeletErrorAsync(response, podName, context.RequestAborted));
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/plain";
            await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !context.RequestAborted.IsCancellationRequested)
            {
                // The kubelet went away mid-stream: the client gets what came, as from kube-apiserver.
                LogKubeletStreamBroken(api.Logger, url.ToString(), e.Message);
            }
        }
    }

    // The container the request names, or the pod's only one; kube's 400s otherwise.
    private static string ChooseContainer(JsonObject pod, string podName, string requested)
    {
        string[] Names(string list) => [.. (pod.Find("spec." + list) as JsonArray ?? []).OfType<JsonObject>().Select(c => c.GetString("name") ?? "")];
        var containers = Names("containers");
        if (requested.Length == 0)
        {
            switch (containers.Length)
            {
                case 1:
                    return containers[0];
                case 0:
                    throw new ApiException(Statuses.BadRequest($"a container name must be specified for pod {podName}"));
                default:
                    var message = $"a container name must be specified for pod {podName}, choose one of: [{string.Join(' ', containers)}]";
                    var init = Names("initContainers");
                    throw new ApiException(Statuses.BadRequest(init.Length > 0 ? message + $" or one of the init containers: [{string.Join(' ', init)}]" : message));
            }
        }

        if (!containers.Concat(Names("initContainers")).Concat(Names("ephemeralContainers")).Contains(requested, StringComparer.Ordinal))
        {
            throw new ApiException(Statuses.BadRequest($"container {requested} is not valid for pod {podName}"));
        }

        return requested;
    }

    // A kubelet's error reply as kube-apiserver passes it on: its text (or its Status's message) with its code.
    private static async Task<Status> KubeletErrorAsync(HttpResponseMessage response, string podName, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var bytes = new byte[MaxKubeletErrorBytes];
        var length = 0;
        int read;
        while (length < bytes.Length && (read = await stream.ReadAsync(bytes.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        var text = Encoding.UTF8.GetString(bytes, 0, length).Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                if (JsonNode.Parse(text) is JsonObject status && status.GetString("kind") == "Status" && status.GetString("message") is { } message)
                {
                    text = message;
                }
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }

        if (text.Length == 0)
        {
            text = $"the kubelet answered {code} {response.ReasonPhrase} with no message";
        }

        return code switch
        {
            400 => Statuses.BadRequest(text),
            500 => Statuses.InternalError(text),
            _ => new Status
            {
                Message = text,
                Reason = code switch
                {
                    401 => "Unauthorized",
                    403 => "Forbidden",
                    404 => "NotFound",
                    409 => "Conflict",
                    429 => "TooManyRequests",
                    503 => "ServiceUnavailable",
                    504 => "Timeout",
                    _ => null,
                },
                Details = new StatusDetails { Name = podName, Kind = "pods/log" },
                Code = code,
            },
        };
    }

    private static string Describe(HttpRequestException e) =>
        e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message} {inner.Message}" : e.Message;

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "the kubelet's log stream {Url} broke: {Reason}")]
    private static partial void LogKubeletStreamBroken(ILogger logger, string url, string reason);
}
