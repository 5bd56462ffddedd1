using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;
using Monokube.Controllers.ServiceAccounts;

namespace Monokube.Controllers;

/// <summary>What every controller works with: the API client, the shared informers, the clock, logging, options.</summary>
public sealed class ControllerContext(
    KubeClient client,
    InformerFactory informers,
    TimeProvider time,
    ILoggerFactory loggers,
    ControllerOptions options,
    ServiceAccountClients? serviceAccountClients = null)
{
    /// <summary>The client the controller writes (and reads past its informers) with.</summary>
    public KubeClient Client { get; } = client;

    /// <summary>The shared informers, fed through the component's own client whatever the controller's.</summary>
    public InformerFactory Informers { get; } = informers;

    public TimeProvider Time { get; } = time;

    public ILoggerFactory Loggers { get; } = loggers;

    public ControllerOptions Options { get; } = options;

    /// <summary>
    /// The client of a controller that acts as kube-system/<paramref name="serviceAccount"/>: that account's own
    /// under --use-service-account-credentials, the component's otherwise.
    /// </summary>
    public KubeClient ClientFor(string serviceAccount) => serviceAccountClients?.For(serviceAccount) ?? Client;

    /// <summary>This context with another client (the informers, clock and options shared).</summary>
    public ControllerContext WithClient(KubeClient other) =>
        ReferenceEquals(other, Client) ? this : new ControllerContext(other, Informers, Time, Loggers, Options, serviceAccountClients);
}
