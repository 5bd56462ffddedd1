using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;
using Monokube.Controllers.LeaderElection;
using Monokube.Controllers.ServiceAccounts;

namespace Monokube.Controllers;

/// <summary>
/// Runs a set of controllers as one component (controller-manager or scheduler): under leader election on the
/// component's Lease when asked, each leadership term with fresh informers and controllers, all stopped when the
/// term ends; the Lease is released on shutdown. Given a shared informer factory (the embedded controller-manager and
/// scheduler share one, so each object is cached once in the process), the terms use it and leave it running.
/// </summary>
public sealed partial class ControllerHost(
    string component,
    KubeClient client,
    ControllerOptions options,
    Func<ControllerContext, IReadOnlyList<Controller>> createControllers,
    LeaderElectionOptions? leaderElection,
    TimeProvider time,
    ILoggerFactory loggers,
    InformerFactory? sharedInformers = null)
{
    private readonly ILogger _logger = loggers.CreateLogger("Monokube.Controllers");

    public LeaderElector? Elector { get; private set; }

    /// <summary>The names of the controllers running now (empty while not leading).</summary>
    public IReadOnlyList<string> Running { get; private set; } = [];

    /// <summary>Completes when the controllers of a leadership term have synced their caches and started.</summary>
    public Task Started => _started.Task;

    private TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (leaderElection is null)
        {
            await RunTermAsync(cancellationToken);
            return;
        }

        Elector = new LeaderElector(client, leaderElection, time, loggers.CreateLogger("Monokube.LeaderElection"));
        await Elector.RunAsync(RunTermAsync, cancellationToken);
    }

    private async Task RunTermAsync(CancellationToken cancellationToken)
    {
        await using var own = sharedInformers is null ? new InformerFactory(client, time, loggers) : null;
        var informers = sharedInformers ?? own!;
        using var credentials = options.UseServiceAccountCredentials ? new ServiceAccountClients(client, time, loggers) : null;
        var context = new ControllerContext(client, informers, time, loggers, options, credentials);
        var controllers = createControllers(context);
        try
        {
            await informers.StartAndSyncAsync(cancellationToken);
            Running = [.. controllers.Select(c => c.Name)];
            LogStarted(_logger, component, string.Join(", ", Running));
            _started.TrySetResult();
            await Task.WhenAll(controllers.Select(c => c.RunAsync(cancellationToken)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            Running = [];
            _started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var controller in controllers)
            {
                controller.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 7401, Level = LogLevel.Information, Message = "{Component}: running {Controllers}")]
    private static partial void LogStarted(ILogger logger, string component, string controllers);
}
