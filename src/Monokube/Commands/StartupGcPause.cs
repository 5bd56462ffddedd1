using System.Runtime;

namespace Monokube.Commands;

/// <summary>
/// No garbage collection while the server starts: a start allocates about 4 MB, and with the adaptive server GC's
/// small first budget that cost a collection on the way to ready (about a fifth of the start's CPU by `perf`, its two
/// GC threads spinning against the start itself on two cores). The region ends on dispose, or by itself, with a
/// collection, if the start allocates more than <see cref="Bytes"/>.
/// </summary>
public sealed class StartupGcPause : IDisposable
{
    public const long Bytes = 32L << 20;

    private readonly bool _started;

    public StartupGcPause()
    {
        try
        {
            _started = GC.TryStartNoGCRegion(Bytes);
        }
        catch (InvalidOperationException)
        {
            // Already in a no-GC region (not ours to end).
        }
    }

    public void Dispose()
    {
        if (_started && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            try
            {
                GC.EndNoGCRegion();
            }
            catch (InvalidOperationException)
            {
                // The region already ended by itself (a collection happened); nothing to end.
            }
        }
    }
}
