namespace Monokube.Controllers.Informers;

/// <summary>A handler's subscription to an informer; disposing it (once or more) stops the handler hearing.</summary>
internal sealed class InformerSubscription(Action unsubscribe) : IDisposable
{
    private Action? _unsubscribe = unsubscribe;

    public void Dispose() => Interlocked.Exchange(ref _unsubscribe, null)?.Invoke();
}
