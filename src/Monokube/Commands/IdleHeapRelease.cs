using Microsoft.Extensions.Logging;

namespace Monokube.Commands;

/// <summary>
/// Gives the memory a burst of work left in the heap back to the system once the process has gone quiet, as Go's
/// background scavenger does for kube-apiserver. The .NET GC collects only when the process allocates, so a server
/// that settles after, say, 10,000 creates keeps its dead objects and the space of its last collections for as long
/// as it stays quiet. Every <see cref="Period"/> this looks at how much was allocated: when at least
/// <see cref="BurstBytes"/> were allocated since the last release and less than <see cref="QuietBytes"/> in the last
/// period, it runs one aggressive, compacting, full collection (a pause of tens of milliseconds on a quiet server),
/// and none again until the next burst. Only the binary's own commands use it: a test harness hosting a server
/// in-process owns its own process's GC.
/// </summary>
public sealed partial class IdleHeapRelease : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    public const long BurstBytes = 128L << 20;

    public const long QuietBytes = 8L << 20;

    private readonly Func<long> _allocatedBytes;
    private readonly Action _release;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private long _atLastCheck;
    private long _atLastRelease;
    private bool _startPending;

    /// <param name="allocatedBytes">The process's allocated bytes so far (tests pass their own).</param>
    /// <param name="release">What releasing does (tests pass their own).</param>
    /// <param name="afterStart">
    /// Also release at the first quiet period, whatever was allocated: the garbage of a start that ran without a
    /// collection (<see cref="StartupGcPause"/>), about 3 MB of an idle server's memory.
    /// </param>
    public IdleHeapRelease(TimeProvider time, ILogger logger, Func<long>? allocatedBytes = null, Action? release = null, bool afterStart = false)
    {
        _startPending = afterStart;
        _allocatedBytes = allocatedBytes ?? (() => GC.GetTotalAllocatedBytes(precise: false));
        _release = release ?? ReleaseHeap;
        _logger = logger;
        _atLastCheck = _atLastRelease = _allocatedBytes();
        _timer = time.CreateTimer(_ => Check(), null, Period, Period);
    }

    public int Releases { get; private set; }

    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        lock (_gate)
        {
            var now = _allocatedBytes();
            var lastPeriod = now - _atLastCheck;
            _atLastCheck = now;
            if (lastPeriod >= QuietBytes || (now - _atLastRelease < BurstBytes && !_startPending))
            {
                return;
            }

            _startPending = false;

            LogReleasing(_logger, (now - _atLastRelease) >> 20);
            _atLastRelease = now;
            Releases++;
            _release();
        }
    }

    private static void ReleaseHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "quiet after {AllocatedMiB} MiB of allocations: releasing the heap's free memory")]
    private static partial void LogReleasing(ILogger logger, long allocatedMiB);
}
