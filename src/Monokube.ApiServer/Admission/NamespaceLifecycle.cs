using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Caching;
using Monokube.ApiServer.Handlers;
using Monokube.ApiServer.Objects;
using Monokube.Storage;

namespace Monokube.ApiServer.Admission;

/// <summary>
/// What kube's NamespaceLifecycle admission reads of a namespace (whether it exists and whether it is terminating),
/// from a cache the store's watch keeps, as kube-apiserver reads it from its informer. The store is read instead on a
/// miss (a namespace created a moment ago), before the cache has synced, and while the cache has not yet seen this
/// server's own last write to a namespace, so a create right after a delete through this server is refused.
/// </summary>
public sealed class NamespaceLifecycle(IObjectStore store, ILogger logger) : IAsyncDisposable
{
    private const string Prefix = "/namespaces/";
    private readonly StoreInformer _cache = new(store, Prefix, logger, OnlyPhase);
    private long _lastWrite;
    private int _started;

    /// <summary>The namespace's phase ("Active", "Terminating"), or null when there is no such namespace.</summary>
    public async Task<string?> PhaseAsync(string name, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _started) == 0 && Interlocked.Exchange(ref _started, 1) == 0)
        {
            _cache.Start();
        }

        if (_cache.IsSynced && _cache.Revision >= Interlocked.Read(ref _lastWrite) && _cache.Items.TryGetValue(Prefix + name, out var cached))
        {
            return PhaseOf(cached);
        }

        var stored = await store.GetAsync(Prefix + name, cancellationToken);
        return stored.IsOk ? PhaseOf(ObjectWriter.Parse(stored.Object!.Value)) : null;
    }

    /// <summary>This server changed or deleted a namespace at <paramref name="revision"/>.</summary>
    public void Written(long revision)
    {
        var seen = Interlocked.Read(ref _lastWrite);
        while (revision > seen)
        {
            var was = Interlocked.CompareExchange(ref _lastWrite, revision, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private static string PhaseOf(JsonObject ns) => ns.GetString("status.phase") ?? "Active";

    private static JsonObject OnlyPhase(JsonObject ns) => new() { ["status"] = new JsonObject { ["phase"] = PhaseOf(ns) } };
}
