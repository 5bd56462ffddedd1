using System.Text.Json.Nodes;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

/// <summary>
/// Decodes and encodes each stored change once for all the watches that receive it, as kube-apiserver's watch
/// cache does: a thousand watchers of pods (a node agent's per-node watches, say) would otherwise parse every pod
/// change a thousand times. Recent changes are kept in a small ring keyed by revision, key and resource; a change
/// is identified by its revision and key in one store, so the etcd store's separate watch streams share too. The
/// decoded objects are shared between watches and must not be changed.
/// </summary>
public sealed class WatchEventCache(int size = 512)
{
    private readonly DecodedEvent?[] _ring = new DecodedEvent?[size];
    private readonly Lock _gate = new();

    public DecodedEvent Get(ResourceDefinition resource, StoreEvent e)
    {
        var slot = (int)((ulong)e.Revision % (ulong)_ring.Length);
        lock (_gate)
        {
            if (_ring[slot] is { } cached && cached.Revision == e.Revision && cached.Type == e.Type
                && ReferenceEquals(cached.Resource, resource) && cached.Key == e.Key)
            {
                return cached;
            }

            var decoded = new DecodedEvent(resource, e);
            _ring[slot] = decoded;
            return decoded;
        }
    }
}

/// <summary>One change as served for one resource: its objects, parsed and written to JSON on first use.</summary>
public sealed class DecodedEvent
{
    private readonly Lazy<JsonObject?> _current;
    private readonly Lazy<JsonObject?> _previous;
    private readonly Lazy<byte[]?> _currentJson;
    private readonly Lazy<byte[]?> _previousJson;

    public DecodedEvent(ResourceDefinition resource, StoreEvent e)
    {
        Resource = resource;
        Revision = e.Revision;
        Type = e.Type;
        Key = e.Key;
        _current = new(() => e.Value is null ? null : ResourceHandler.Decode(resource, e.Value, e.Revision));
        _previous = new(() => e.PrevValue is null ? null : ResourceHandler.Decode(resource, e.PrevValue, e.Revision));
        _currentJson = new(() => Current is { } obj ? JsonOutput.ToBytes(obj) : null);
        _previousJson = new(() => Previous is { } obj ? JsonOutput.ToBytes(obj) : null);
    }

    public ResourceDefinition Resource { get; }

    public long Revision { get; }

    public StoreEventType Type { get; }

    public string Key { get; }

    /// <summary>The object after the change (for a deletion, its last state).</summary>
    public JsonObject? Current => _current.Value;

    /// <summary>The object before a modification or deletion.</summary>
    public JsonObject? Previous => _previous.Value;

    public byte[]? CurrentJson => _currentJson.Value;

    public byte[]? PreviousJson => _previousJson.Value;
}
