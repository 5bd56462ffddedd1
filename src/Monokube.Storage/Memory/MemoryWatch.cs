using System.Threading.Channels;

namespace Monokube.Storage.Memory;

internal sealed class MemoryWatch : IStoreWatch
{
    private readonly MemoryObjectStore _store;
    private readonly Channel<StoreEvent> _channel = Channel.CreateUnbounded<StoreEvent>();

    private readonly Func<StoreEvent, bool>? _filter;

    public MemoryWatch(MemoryObjectStore store, string prefix, long afterRevision, Func<StoreEvent, bool>? filter)
    {
        _store = store;
        _filter = filter;
        Prefix = prefix;
        AfterRevision = afterRevision;
    }

    public string Prefix { get; }

    /// <summary>Events at or below this revision are not for this watch (it asked for later ones).</summary>
    public long AfterRevision { get; }

    public ChannelReader<StoreEvent> Events => _channel.Reader;

    public int Backlog => _channel.Reader.Count;

    public bool TryWrite(StoreEvent e) => _channel.Writer.TryWrite(e);

    /// <summary>Queues a change if the watch's filter wants it.</summary>
    public void TryDeliver(StoreEvent e)
    {
        if (_filter is null || _filter(e))
        {
            _channel.Writer.TryWrite(e);
        }
    }

    public void RequestProgress() => _store.SendProgress(this);

    public void Complete() => _channel.Writer.TryComplete();

    public ValueTask DisposeAsync()
    {
        _store.RemoveWatch(this);
        Complete();
        return ValueTask.CompletedTask;
    }
}
