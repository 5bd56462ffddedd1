using System.Threading.Channels;

namespace Monokube.Storage;

/// <summary>A running watch. Events arrive in revision order; the channel completes when the watch ends.</summary>
public interface IStoreWatch : IAsyncDisposable
{
    ChannelReader<StoreEvent> Events { get; }
}
