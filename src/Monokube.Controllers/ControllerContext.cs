using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers;

/// <summary>What every controller works with: the API client, the shared informers, the clock, logging, options.</summary>
public sealed class ControllerContext(KubeClient client, InformerFactory informers, TimeProvider time, ILoggerFactory loggers, ControllerOptions options)
{
    public KubeClient Client { get; } = client;

    public InformerFactory Informers { get; } = informers;

    public TimeProvider Time { get; } = time;

    public ILoggerFactory Loggers { get; } = loggers;

    public ControllerOptions Options { get; } = options;
}
