using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Informers;

/// <summary>One informer per resource (and field selector), shared by every controller that watches it.</summary>
public sealed class InformerFactory(KubeClient client, TimeProvider time, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly Dictionary<(ResourceRef, string?), Informer> _informers = [];
    private readonly Lock _gate = new();

    public Informer For(ResourceRef resource, string? fieldSelector = null)
    {
        lock (_gate)
        {
            if (!_informers.TryGetValue((resource, fieldSelector), out var informer))
            {
                informer = new Informer(client, resource, time, loggers.CreateLogger("Monokube.Informers"), fieldSelector);
                _informers[(resource, fieldSelector)] = informer;
            }

            return informer;
        }
    }

    /// <summary>Starts every informer made so far and waits until each has listed once.</summary>
    public async Task StartAndSyncAsync(CancellationToken cancellationToken)
    {
        List<Informer> all;
        lock (_gate)
        {
            all = [.. _informers.Values];
        }

        foreach (var informer in all)
        {
            informer.Start();
        }

        await Task.WhenAll(all.Select(i => i.WaitForSyncAsync(cancellationToken)));
    }

    public async ValueTask DisposeAsync()
    {
        List<Informer> all;
        lock (_gate)
        {
            all = [.. _informers.Values];
            _informers.Clear();
        }

        foreach (var informer in all)
        {
            await informer.DisposeAsync();
        }
    }
}
