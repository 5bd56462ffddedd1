using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;
using Monokube.Controllers.Queue;

namespace Monokube.Controllers;

/// <summary>
/// A reconciler over informers and a work queue: informer events become keys, workers call
/// <see cref="ReconcileAsync"/> for each key, and a failed key comes back with backoff.
/// </summary>
public abstract partial class Controller : IDisposable
{
    private readonly List<IDisposable> _subscriptions = [];

    protected Controller(string name, ControllerContext context)
    {
        Name = name;
        Context = context;
        Queue = new WorkQueue(context.Time);
        Logger = context.Loggers.CreateLogger("Monokube.Controllers." + name);
    }

    /// <summary>The controller's name, as --controllers knows it (kube-controller-manager's where it has one).</summary>
    public string Name { get; }

    protected ControllerContext Context { get; }

    protected KubeClient Client => Context.Client;

    protected WorkQueue Queue { get; }

    protected ILogger Logger { get; }

    protected virtual int Workers => 2;

    /// <summary>Brings the world in line with the object the key names (which may be gone).</summary>
    public abstract Task ReconcileAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// An informer from the shared factory, with a handler that turns its events into keys (and hears what the
    /// informer already holds when another controller started it); the handler stops when this controller is disposed.
    /// </summary>
    protected Informer Watch(ResourceRef resource, Action<InformerEvent> handler, string? fieldSelector = null)
    {
        var informer = Context.Informers.For(resource, fieldSelector);
        Subscribe(informer, handler);
        return informer;
    }

    /// <summary>Subscribes a handler for as long as this controller lives.</summary>
    protected void Subscribe(Informer informer, Action<InformerEvent> handler)
    {
        var subscription = informer.Subscribe(handler);
        lock (_subscriptions)
        {
            _subscriptions.Add(subscription);
        }
    }

    /// <summary>Runs the workers until cancelled; the informers must have been started and synced.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await OnStartedAsync(cancellationToken);
        using var stop = cancellationToken.Register(Queue.ShutDown);
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)));
    }

    /// <summary>Work a controller does once its informers are synced, before its workers start (a first full pass).</summary>
    protected virtual Task OnStartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        lock (_subscriptions)
        {
            _subscriptions.ForEach(s => s.Dispose());
            _subscriptions.Clear();
        }

        Queue.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (await Queue.GetAsync(CancellationToken.None) is { } key)
        {
            try
            {
                await ReconcileAsync(key, cancellationToken);
                Queue.Forget(key);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (KubeApiException e) when (e.IsConflict || e.IsNotFound)
            {
                // Someone changed (or removed) what we were working on: look again with fresh state.
                LogRetry(Logger, Name, key, e.StatusMessage);
                Queue.AddRateLimited(key);
            }
            catch (RetryLaterException e)
            {
                LogRetry(Logger, Name, key, e.Message);
                Queue.AddRateLimited(key);
            }
            catch (Exception e)
            {
                LogFailed(Logger, e, Name, key);
                Queue.AddRateLimited(key);
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Debug, Message = "{Controller} {Key}: retrying ({Reason})")]
    private static partial void LogRetry(ILogger logger, string controller, string key, string reason);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "{Controller} {Key}: reconcile failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string controller, string key);
}
