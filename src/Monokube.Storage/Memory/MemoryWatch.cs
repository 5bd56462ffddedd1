using System.Threading.Channels;

namespace Monokube.Storage.Memory;

internal sealed class MemoryWatch : IStoreWatch
{
    private readonly MemoryObjectStore _store;
    private readonly Channel<StoreEvent> _channel = Channel.CreateUnbounded<StoreEvent>();

    public MemoryWatch(MemoryObjectStore store, string prefix, long afterRevision)
    {
        _store = store;
        Prefix = prefix;
        AfterRevision = afterRevision;
    }

    public string Prefix { get; }

    /// <summary>Events at or below this revision are not for this watch (it asked for later ones).</summary>
    public long AfterRevision { get; }

    public ChannelReader<StoreEvent> Events => _channel.Reader;

    public int Backlog => _channel.Reader.Count;

    public bool TryWrite(StoreEvent e) => _channel.Writer.TryWrite(e);

    public void RequestProgress() => _store.SendProgress(this);

    public void Complete() => _channel.Writer.TryComplete();

    public ValueTask DisposeAsync()
    {
        _store.RemoveWatch(this);
        Complete();
        return ValueTask.CompletedTask;
    }
}
