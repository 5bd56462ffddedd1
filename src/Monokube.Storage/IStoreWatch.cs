using System.Threading.Channels;

namespace Monokube.Storage;

/// <summary>A running watch. Events arrive in revision order; the channel completes when the watch ends.</summary>
public interface IStoreWatch : IAsyncDisposable
{
    ChannelReader<StoreEvent> Events { get; }

    /// <summary>
    /// Asks the store for a <see cref="StoreEventType.Progress"/> event: it arrives after every event the watch has
    /// been sent so far and carries a revision up to which nothing else under the prefix changed (for bookmarks).
    /// </summary>
    void RequestProgress();
}
