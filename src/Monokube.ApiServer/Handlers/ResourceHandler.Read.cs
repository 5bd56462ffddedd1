using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    private async Task GetAsync(HttpContext context, ResourceDefinition resource, string? ns, string name)
    {
        var stored = await ReadAsync(resource, ns, name, context.RequestAborted) ?? throw new ApiException(Statuses.NotFound(resource, name));
        await ObjectWriter.WriteObjectAsync(context, api, resource, Served(resource, stored));
    }

    private async Task ListAsync(HttpContext context, ResourceDefinition resource, string? ns)
    {
        var query = ListQuery.Parse(context.Request.Query, resource, watch: false);
        var format = OutputNegotiation.Negotiate(context.Request.Headers.Accept, isList: true);
        var page = await ReadPageAsync(resource, ns, query, context.RequestAborted);
        await ObjectWriter.WriteListAsync(context, api, resource, page.Items, page.Metadata, format, query.IncludeObject);
    }

    /// <summary>
    /// One page of a list with kube-apiserver's resourceVersion semantics: unset = latest, "0" = any, N with
    /// NotOlderThan = at least N, N with Exact (or with a limit, as legacy clients expect) = exactly N, and a
    /// continue token = the token's revision. Selectors filter; a page keeps reading until it holds "limit" matches.
    /// </summary>
    private async Task<(List<byte[]> Items, ListMetadata Metadata)> ReadPageAsync(ResourceDefinition resource, string? ns, ListQuery query, CancellationToken cancellationToken)
    {
        var prefix = resource.CollectionPrefix(ns);
        long revision = 0;
        string? start = null;
        if (query.Continue is { } token)
        {
            if (!ContinueToken.TryDecode(token, out revision, out var relative))
            {
                throw new ApiException(Statuses.BadRequest("continue key is not valid: the token cannot be decoded"));
            }

            start = prefix + relative;
        }
        else if (query.ResourceVersion is { } rvText && rvText != "0")
        {
            var rv = long.Parse(rvText, CultureInfo.InvariantCulture);
            if (query.ResourceVersionMatch == "Exact" || (query.ResourceVersionMatch is null && query.Limit > 0))
            {
                revision = rv;
            }
            else
            {
                await WaitForRevisionAsync(rv, cancellationToken);
            }
        }

        var filtered = !query.Labels.IsEmpty || !query.Fields.IsEmpty;
        var items = new List<byte[]>();
        long? remaining = null;
        string? nextToken = null;
        var listRevision = revision;
        while (true)
        {
            var want = query.Limit == 0 ? 0 : query.Limit - items.Count;
            var batch = want == 0 ? 0 : filtered ? Math.Max(want, 256) : want;
            var result = await api.Store.ListAsync(new ListRequest(prefix, listRevision, batch, start), cancellationToken);
            if (result.Status == StoreStatus.Expired)
            {
                throw new ApiException(ExpiredList(query.Continue is not null));
            }

            if (result.Status == StoreStatus.FutureRevision)
            {
                throw new ApiException(Statuses.Timeout($"Too large resource version: {listRevision}, current: {await api.Store.GetCurrentRevisionAsync(cancellationToken)}", 1));
            }

            listRevision = result.Revision;
            StoredObject? last = null;
            foreach (var stored in result.Items)
            {
                if (query.Limit > 0 && items.Count == query.Limit)
                {
                    break;
                }

                last = stored;
                if (filtered && !Matches(resource, Decode(resource, stored), query))
                {
                    continue;
                }

                items.Add(Served(resource, stored));
            }

            var consumedAll = last is not null && ReferenceEquals(last, result.Items[^1]);
            var more = result.HasMore || (last is not null && !consumedAll);
            if (query.Limit > 0 && items.Count == query.Limit && more)
            {
                nextToken = ContinueToken.Encode(listRevision, last!.Key[prefix.Length..] + "\0");
                remaining = filtered ? null : result.RemainingCount;
                break;
            }

            if (!result.HasMore)
            {
                break;
            }

            start = result.NextKey;
        }

        return (items, new ListMetadata(listRevision, nextToken, remaining));
    }

    private static bool Matches(ResourceDefinition resource, JsonObject obj, ListQuery query)
    {
        var meta = new ObjectMeta(obj);
        return query.Labels.Matches(meta.Labels) && query.Fields.Matches(field => field switch
        {
            "metadata.name" => meta.Name,
            "metadata.namespace" => meta.Namespace ?? "",
            _ => resource.Strategy.SelectableFields.TryGetValue(field, out var read) ? read(obj) : null,
        });
    }

    // A "not older than N" read must see revision N; if the store is behind (another server wrote it), wait briefly.
    private async Task WaitForRevisionAsync(long revision, CancellationToken cancellationToken)
    {
        var deadline = api.Time.GetUtcNow() + TimeSpan.FromSeconds(3);
        while (true)
        {
            var current = await api.Store.GetCurrentRevisionAsync(cancellationToken);
            if (current >= revision)
            {
                return;
            }

            if (api.Time.GetUtcNow() > deadline)
            {
                throw new ApiException(Statuses.Timeout($"Too large resource version: {revision}, current: {current}", 1));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), api.Time, cancellationToken);
        }
    }

    private static Status ExpiredList(bool continuing) => Statuses.Expired(continuing
        ? "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
        : "The resourceVersion for the provided list is too old.");
}
