using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Security;
using Monokube.ApiServer.Serialization;
using Monokube.ApiServer.Tables;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    /// <summary>
    /// A watch: newline-delimited {"type","object"} events. resourceVersion unset or "0" first sends the current
    /// state as ADDED, N sends the changes after N (a compacted N ends with a 410 ERROR event). Selectors apply,
    /// with objects entering or leaving them arriving as ADDED or DELETED. BOOKMARKs when asked for, and the watch
    /// ends after timeoutSeconds or the server's cap.
    /// </summary>
    private async Task WatchAsync(HttpContext context, ResourceDefinition resource, string? ns, string? name)
    {
        var query = ListQuery.Parse(context.Request.Query, resource, watch: true);
        if (name is not null)
        {
            throw new ApiException(Statuses.MethodNotAllowed("watching a single object by name in the path is not supported; use fieldSelector=metadata.name=<name>"));
        }

        var format = OutputNegotiation.Negotiate(context.Request.Headers.Accept, isList: true);
        if (format.Kind is OutputKind.Yaml or OutputKind.PartialObjectMetadataList)
        {
            format = format.Kind == OutputKind.PartialObjectMetadataList ? new OutputFormat(OutputKind.PartialObjectMetadata, format.MetaVersion) : OutputFormat.Json;
        }

        // A client is its user; over plain HTTP, where nobody is authenticated, its address.
        var user = RequestUser.Get(context);
        var client = ReferenceEquals(user, RequestUser.Unauthenticated) ? context.Connection.RemoteIpAddress?.ToString() ?? "" : user.Name;
        using var slot = api.Watches.TryAcquire(client);
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = "1";
            throw new ApiException(Statuses.TooManyRequests($"too many concurrent watches for \"{client}\" (at most {api.Watches.MaxPerClient}); close some, or raise --max-watches-per-client", 1));
        }

        // A watch ends when its client goes away, and, as kube-apiserver closes watches on shutdown, when the server stops.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, api.Stopping);
        var aborted = ended.Token;
        var prefix = resource.CollectionPrefix(ns);
        var initial = new List<StoredObject>();
        long after;
        var rv = query.ResourceVersion;
        var sendInitial = query.SendInitialEvents ?? rv is null or "0";
        if (sendInitial)
        {
            var list = await api.Store.ListAsync(new ListRequest(prefix), aborted);
            initial.AddRange(list.Items);
            after = list.Revision;
        }
        else
        {
            after = long.Parse(rv!, CultureInfo.InvariantCulture);
        }

        // With a selector, changes to objects that neither match now nor matched before never wake this watch:
        // a thousand node agents each watching their own pods are woken only for their own.
        Func<StoreEvent, bool>? filter = query.Labels.IsEmpty && query.Fields.IsEmpty ? null : e => Concerns(resource, query, e);
        var started = await api.Store.WatchAsync(prefix, after, filter, aborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = format.Kind == OutputKind.Table ? "application/json;as=Table;v=" + format.MetaVersion + ";g=meta.k8s.io" : "application/json";
        context.Response.Headers.CacheControl = "no-cache, private";
        await context.Response.StartAsync(aborted);

        // client-go waits for the response headers before it treats the watch as established.
        await context.Response.Body.FlushAsync(aborted);

        var output = new WatchOutput(context, api, resource, format, query.IncludeObject);
        if (!started.IsOk)
        {
            await output.WriteErrorAsync(Statuses.Expired($"too old resource version: {after} ({await api.Store.GetCurrentRevisionAsync(aborted)})"));
            return;
        }

        await using var watch = started.Watch!;
        foreach (var stored in initial)
        {
            var obj = Decode(resource, stored);
            if (Matches(resource, obj, query))
            {
                output.Add("ADDED", obj);
            }
        }

        if (query.SendInitialEvents == true)
        {
            output.AddBookmark(after, initialEventsEnd: true);
        }

        await output.FlushAsync();

        var timeout = query.TimeoutSeconds is { } seconds
            ? TimeSpan.FromSeconds(Math.Min(seconds, api.Options.Watch.MinRequestTimeout.TotalSeconds * 2))
            : api.Options.Watch.MinRequestTimeout * (1 + Random.Shared.NextDouble());
        var endAt = api.Time.GetUtcNow() + timeout;
        var nextBookmark = api.Time.GetUtcNow() + api.Options.Watch.BookmarkInterval;
        var lastRevision = after;
        var wantBookmark = false;

        try
        {
            while (!aborted.IsCancellationRequested)
            {
                var now = api.Time.GetUtcNow();
                if (now >= endAt)
                {
                    break;
                }

                if (query.AllowWatchBookmarks && now >= nextBookmark)
                {
                    watch.RequestProgress();
                    wantBookmark = true;
                    nextBookmark = now + api.Options.Watch.BookmarkInterval;
                }

                // Under load events are already queued: read them without setting up a timed wait.
                if (!watch.Events.TryPeek(out _))
                {
                    var wake = query.AllowWatchBookmarks && nextBookmark < endAt ? nextBookmark : endAt;
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                    var ready = watch.Events.WaitToReadAsync(wait.Token).AsTask();
                    var delay = Task.Delay(wake - now, api.Time, wait.Token);
                    var first = await Task.WhenAny(ready, delay);
                    await wait.CancelAsync();
                    if (first == delay)
                    {
                        continue;
                    }

                    if (!await ready)
                    {
                        break;
                    }
                }

                while (watch.Events.TryRead(out var e))
                {
                    switch (e.Type)
                    {
                        case StoreEventType.Progress:
                            lastRevision = Math.Max(lastRevision, e.Revision);
                            if (wantBookmark)
                            {
                                output.AddBookmark(lastRevision, initialEventsEnd: false);
                                wantBookmark = false;
                            }

                            break;
                        case StoreEventType.Expired:
                            await output.FlushAsync();
                            await output.WriteErrorAsync(Statuses.Expired("too old resource version: " + lastRevision + " (" + e.Revision + ")"));
                            return;
                        default:
                            lastRevision = e.Revision;
                            AddChange(output, resource, query, e);
                            break;
                    }
                }

                await output.FlushAsync();
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
        catch (IOException) when (aborted.IsCancellationRequested)
        {
        }
    }

    // Whether a change can produce an event for a watch with this selector (it matches the object now or before).
    private bool Concerns(ResourceDefinition resource, ListQuery query, StoreEvent e)
    {
        try
        {
            var change = api.WatchEvents.Get(resource, e);
            return (change.Current is { } current && Matches(resource, current, query))
                || (e.Type == StoreEventType.Modified && change.Previous is { } previous && Matches(resource, previous, query));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            // A value that does not decode is the watch's own business to report.
            return true;
        }
    }

    private void AddChange(WatchOutput output, ResourceDefinition resource, ListQuery query, StoreEvent e)
    {
        var change = api.WatchEvents.Get(resource, e);
        switch (e.Type)
        {
            case StoreEventType.Created:
                if (change.Current is { } created && Matches(resource, created, query))
                {
                    output.Add("ADDED", created, change.CurrentJson);
                }

                break;
            case StoreEventType.Deleted:
                if (change.Current is { } deleted && Matches(resource, deleted, query))
                {
                    output.Add("DELETED", deleted, change.CurrentJson);
                }

                break;
            case StoreEventType.Modified:
                var now = change.Current!;
                var nowMatches = Matches(resource, now, query);
                var filtered = !query.Labels.IsEmpty || !query.Fields.IsEmpty;
                var before = filtered ? change.Previous : null;
                var beforeMatches = !filtered || (before is not null && Matches(resource, before, query));
                if (nowMatches && beforeMatches)
                {
                    output.Add("MODIFIED", now, change.CurrentJson);
                }
                else if (nowMatches)
                {
                    output.Add("ADDED", now, change.CurrentJson);
                }
                else if (beforeMatches && before is not null)
                {
                    output.Add("DELETED", before, change.PreviousJson);
                }

                break;
        }
    }

    /// <summary>Buffers watch events and writes them as lines; Table watches send column definitions once.</summary>
    private sealed class WatchOutput(HttpContext context, ApiContext api, ResourceDefinition resource, OutputFormat format, string includeObject)
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(4096);
        private bool _columnsSent;

        /// <summary>Adds an event; <paramref name="json"/> is the object already written as JSON, when it is.</summary>
        public void Add(string type, JsonObject obj, byte[]? json = null)
        {
            using var w = new Utf8JsonWriter(_buffer, JsonOutput.WriterOptions);
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WritePropertyName("object");
            switch (format.Kind)
            {
                case OutputKind.Table:
                    var rv = obj["metadata"]?["resourceVersion"]?.ToString();
                    w.WriteRawValue(ObjectWriter.WriteTable(api, resource, [obj], format, includeObject, rv, null, null, includeColumns: !_columnsSent), skipInputValidation: true);
                    _columnsSent = true;
                    break;
                case OutputKind.PartialObjectMetadata:
                    TableWriter.WritePartialObjectMetadata(w, obj, format.MetaApiVersion);
                    break;
                default:
                    if (json is not null)
                    {
                        w.WriteRawValue(json, skipInputValidation: true);
                    }
                    else
                    {
                        obj.WriteTo(w);
                    }

                    break;
            }

            w.WriteEndObject();
            w.Flush();
            _buffer.Write("\n"u8);
        }

        public void AddBookmark(long revision, bool initialEventsEnd)
        {
            var obj = new JsonObject
            {
                ["kind"] = resource.Kind,
                ["apiVersion"] = resource.ApiVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
            };
            if (initialEventsEnd)
            {
                obj["metadata"]!["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
            }

            using var w = new Utf8JsonWriter(_buffer, JsonOutput.WriterOptions);
            w.WriteStartObject();
            w.WriteString("type", "BOOKMARK");
            w.WritePropertyName("object");
            obj.WriteTo(w);
            w.WriteEndObject();
            w.Flush();
            _buffer.Write("\n"u8);
        }

        public async Task WriteErrorAsync(Status status)
        {
            using (var w = new Utf8JsonWriter(_buffer, JsonOutput.WriterOptions))
            {
                w.WriteStartObject();
                w.WriteString("type", "ERROR");
                w.WritePropertyName("object");
                JsonSerializer.Serialize(w, status, ApiJsonContext.Compact.Status);
                w.WriteEndObject();
            }

            _buffer.Write("\n"u8);
            await FlushAsync();
        }

        public async Task FlushAsync()
        {
            if (_buffer.WrittenCount == 0)
            {
                return;
            }

            await context.Response.Body.WriteAsync(_buffer.WrittenMemory, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            _buffer.Clear();
        }
    }
}
