using System.Net;
using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;
using Monokube.Controllers.LeaderElection;
using Monokube.Controllers.Scheduling;

namespace Monokube.Controllers;

/// <summary>
/// The controller-manager and scheduler running inside monokube serve, as clients of its own API over loopback
/// (authenticated with the server's loopback token, trusting its serving certificate), each under leader election
/// on the Lease kube-controller-manager and kube-scheduler use, released when they stop. The two share one set of
/// informers, so each watched object is held once in the process.
/// </summary>
public sealed class EmbeddedControllers : IAsyncDisposable
{
    public const string SchedulerName = "scheduler";

    private readonly CancellationTokenSource _stop = new();
    private readonly KubeClient _client;
    private readonly InformerFactory _informers;
    private readonly List<Task> _running = [];

    private EmbeddedControllers(KubeClient client, TimeProvider time, ILoggerFactory loggers)
    {
        _client = client;
        _informers = new InformerFactory(client, time, loggers);
    }

    public ControllerHost? ControllerManager { get; private set; }

    public ControllerHost? Scheduler { get; private set; }

    /// <summary>The names --controllers accepts: the controller-manager's controllers and the scheduler.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. BuiltinControllers.Names, SchedulerName];

    public static EmbeddedControllers Start(ApiServer.Hosting.ApiServer server, ControllerOptions options, bool leaderElect, TimeProvider time, ILoggerFactory loggers)
    {
        var url = server.Url;
        if (url.Host is "0.0.0.0" or "[::]")
        {
            url = new UriBuilder(url) { Host = IPAddress.Loopback.ToString() }.Uri;
        }

        var client = new KubeClient(new KubeClientOptions
        {
            Server = url,
            PinnedServerCertificate = server.Security.Pki?.ServingCertificate,
            BearerToken = server.Security.Pki is null ? null : server.Security.LoopbackToken,
            UserAgent = "monokube/controllers",
        });
        var embedded = new EmbeddedControllers(client, time, loggers);
        var identity = LeaderElectionOptions.NewIdentity();
        if (BuiltinControllers.Names.Any(options.IsEnabled))
        {
            embedded.ControllerManager = new ControllerHost("controller-manager", client, options, BuiltinControllers.Create,
                leaderElect ? new LeaderElectionOptions("kube-system", "kube-controller-manager", identity) : null, time, loggers, embedded._informers);
            embedded._running.Add(embedded.ControllerManager.RunAsync(embedded._stop.Token));
        }

        if (options.IsEnabled(SchedulerName))
        {
            embedded.Scheduler = new ControllerHost("scheduler", client, options, c => [new Scheduler(c, identity)],
                leaderElect ? new LeaderElectionOptions("kube-system", "kube-scheduler", identity) : null, time, loggers, embedded._informers);
            embedded._running.Add(embedded.Scheduler.RunAsync(embedded._stop.Token));
        }

        return embedded;
    }

    /// <summary>Stops every controller and releases the Leases.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_running);
        }
        catch (OperationCanceledException)
        {
        }

        await _informers.DisposeAsync();
        _client.Dispose();
        _stop.Dispose();
    }
}
