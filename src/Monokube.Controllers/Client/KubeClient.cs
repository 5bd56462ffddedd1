using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers.Client;

/// <summary>One event of a watch: ADDED, MODIFIED, DELETED or BOOKMARK, with the object.</summary>
public sealed record WatchEvent(string Type, JsonObject Object);

/// <summary>
/// A small Kubernetes REST client over HttpClient that speaks JSON and holds objects as <see cref="JsonObject"/>:
/// what the controllers need (get, list, watch, create, update, patch, delete, subresources) against any
/// Kubernetes API, monokube's own or a real kube-apiserver.
/// </summary>
public sealed class KubeClient : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _http;

    public KubeClient(KubeClientOptions options)
    {
        Options = options;
        HttpMessageHandler handler = options.TokenSource is { } source
            ? new BearerTokenHandler(source) { InnerHandler = options.CreateHandler() }
            : options.CreateHandler();
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = options.Server,
            Timeout = Timeout.InfiniteTimeSpan,
        };

        // Unvalidated: kube's components append "/<controller>" to their agent, which is not a strict product token.
        _http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", options.UserAgent);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (options.TokenSource is null && options.BearerToken is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public KubeClientOptions Options { get; }

    /// <summary>The object, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(ResourceRef resource, string? ns, string name, CancellationToken cancellationToken, string? subresource = null)
    {
        try
        {
            return await SendAsync(HttpMethod.Get, resource.Path(ns, name, subresource), null, null, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>A list (all pages), with the list's resourceVersion in metadata.</summary>
    public async Task<JsonObject> ListAsync(ResourceRef resource, string? ns, CancellationToken cancellationToken, string? labelSelector = null, string? fieldSelector = null)
    {
        var query = Query(("labelSelector", labelSelector), ("fieldSelector", fieldSelector), ("limit", "500"));
        var first = await SendAsync(HttpMethod.Get, resource.Path(ns) + query, null, null, cancellationToken);
        var items = first["items"] as JsonArray ?? [];
        var next = first["metadata"]?["continue"]?.ToString();
        while (!string.IsNullOrEmpty(next))
        {
            var page = await SendAsync(HttpMethod.Get, resource.Path(ns) + Query(("labelSelector", labelSelector), ("fieldSelector", fieldSelector), ("limit", "500"), ("continue", next)), null, null, cancellationToken);
            foreach (var item in (page["items"] as JsonArray ?? []).ToList())
            {
                item!.Parent?.AsArray().Remove(item);
                items.Add(item);
            }

            next = page["metadata"]?["continue"]?.ToString();
            first["metadata"]!["resourceVersion"] = page["metadata"]?["resourceVersion"]?.DeepClone();
        }

        first["items"] = items;
        return first;
    }

    /// <summary>
    /// Watches from <paramref name="resourceVersion"/> with bookmarks; ends when the server ends the watch. A 410
    /// (the version is gone) is thrown as a <see cref="KubeApiException"/> whose <see cref="KubeApiException.IsGone"/> is true.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(ResourceRef resource, string? ns, string resourceVersion, TimeSpan timeout,
        [EnumeratorCancellation] CancellationToken cancellationToken, string? labelSelector = null, string? fieldSelector = null)
    {
        var query = Query(("watch", "1"), ("allowWatchBookmarks", "true"), ("resourceVersion", resourceVersion),
            ("timeoutSeconds", ((int)timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("labelSelector", labelSelector), ("fieldSelector", fieldSelector));
        using var request = NewRequest(HttpMethod.Get, resource.Path(ns) + query);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, cancellationToken);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var node = JsonNode.Parse(line) as JsonObject;
            var type = node?["type"]?.ToString() ?? "";
            if (node?["object"] is not JsonObject obj)
            {
                continue;
            }

            if (type == "ERROR")
            {
                var code = (HttpStatusCode)(obj["code"]?.ToInt() ?? 500);
                throw new KubeApiException(code, obj["reason"]?.ToString() ?? "", obj["message"]?.ToString() ?? "", obj);
            }

            obj.Parent?.AsObject().Remove("object");
            yield return new WatchEvent(type, obj);
        }
    }

    public Task<JsonObject> CreateAsync(ResourceRef resource, string? ns, JsonObject obj, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, resource.Path(ns), obj.ToJsonString(), Json, cancellationToken);

    /// <summary>POST to a subresource of an object (pods/binding, pods/eviction, serviceaccounts/token).</summary>
    public Task<JsonObject> CreateSubresourceAsync(ResourceRef resource, string? ns, string name, string subresource, JsonObject body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, resource.Path(ns, name, subresource), body.ToJsonString(), Json, cancellationToken);

    /// <summary>PUT with the object's resourceVersion as the precondition (409 Conflict when it moved).</summary>
    public Task<JsonObject> UpdateAsync(ResourceRef resource, JsonObject obj, CancellationToken cancellationToken, string? subresource = null)
    {
        var meta = obj["metadata"]!;
        return SendAsync(HttpMethod.Put, resource.Path(meta["namespace"]?.ToString(), meta["name"]!.ToString(), subresource), obj.ToJsonString(), Json, cancellationToken);
    }

    public Task<JsonObject> PatchAsync(ResourceRef resource, string? ns, string name, string patchType, JsonNode patch, CancellationToken cancellationToken, string? subresource = null) =>
        SendAsync(HttpMethod.Patch, resource.Path(ns, name, subresource), patch.ToJsonString(), new MediaTypeHeaderValue(patchType), cancellationToken);

    /// <summary>Server-side apply of a whole object (create or update) under a field manager, taking over conflicts when forced.</summary>
    public Task<JsonObject> ApplyAsync(ResourceRef resource, string? ns, string name, JsonObject obj, string fieldManager, bool force, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, resource.Path(ns, name) + Query(("fieldManager", fieldManager), ("force", force ? "true" : null)), obj.ToJsonString(), new MediaTypeHeaderValue("application/apply-patch+yaml"), cancellationToken);

    /// <summary>Deletes (under uid and resourceVersion preconditions when given); false when the object was already gone.</summary>
    public async Task<bool> DeleteAsync(ResourceRef resource, string? ns, string name, CancellationToken cancellationToken, string? propagationPolicy = null, string? uid = null, long? gracePeriodSeconds = null, string? resourceVersion = null)
    {
        var options = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1" };
        if (propagationPolicy is not null)
        {
            options["propagationPolicy"] = propagationPolicy;
        }

        if (uid is not null || resourceVersion is not null)
        {
            var preconditions = new JsonObject();
            if (uid is not null)
            {
                preconditions["uid"] = uid;
            }

            if (resourceVersion is not null)
            {
                preconditions["resourceVersion"] = resourceVersion;
            }

            options["preconditions"] = preconditions;
        }

        if (gracePeriodSeconds is not null)
        {
            options["gracePeriodSeconds"] = gracePeriodSeconds.Value;
        }

        try
        {
            await SendAsync(HttpMethod.Delete, resource.Path(ns, name), options.ToJsonString(), Json, cancellationToken);
            return true;
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>GET of a path that answers with a JSON object (discovery documents).</summary>
    public Task<JsonObject> GetJsonAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, null, cancellationToken);

    /// <summary>GET of a non-resource path (/readyz, /version), as text.</summary>
    public async Task<(HttpStatusCode Code, string Body)> GetRawAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    public void Dispose() => _http.Dispose();

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, string? body, MediaTypeHeaderValue? contentType, CancellationToken cancellationToken)
    {
        using var request = NewRequest(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType;
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new KubeApiException(0, "ServiceUnavailable", $"{method} {path}: {e.Message}");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorAsync(response, cancellationToken);
            }

            // System.Text.Json's lazy nodes: informers keep these objects, and a node materializes only what is read
            // of it (the server's eager parser made the 10,000-pod scale run use 1,363 MB instead of 1,103 MB).
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return JsonNode.Parse(text) as JsonObject ?? throw new KubeApiException(response.StatusCode, "InternalError", $"{method} {path}: the answer is not a JSON object");
        }
    }

    // HTTP/2 where TLS lets the server agree to it, as client-go: a component's watches and requests share one
    // connection instead of one each (the controllers of one server held 46, each with its own TLS handshake).
    // Plain HTTP stays HTTP/1.1.
    private static HttpRequestMessage NewRequest(HttpMethod method, string path) => new(method, path)
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    private static async Task<KubeApiException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            if (JsonNode.Parse(text) is JsonObject status && status["kind"]?.ToString() == "Status")
            {
                return new KubeApiException(response.StatusCode, status["reason"]?.ToString() ?? "", status["message"]?.ToString() ?? "", status);
            }
        }
        catch (JsonException)
        {
        }

        return new KubeApiException(response.StatusCode, response.ReasonPhrase ?? "", text);
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)).ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }
}
