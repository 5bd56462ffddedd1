using Microsoft.Extensions.Hosting;

namespace Monokube.ApiServer.Hosting;

/// <summary>A host lifetime that neither listens for signals nor prints; the embedder decides when to stop.</summary>
public sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
