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

    /// <summary>
    /// How often a process that has just started looks whether its start has settled: a start's controllers list and
    /// reconcile for a second or two, and what they leave is most of an idle server's heap, so it is released as soon
    /// as a <see cref="SettlePeriod"/> passes with less than <see cref="SettleQuietBytes"/> allocated.
    /// </summary>
    public static readonly TimeSpan SettlePeriod = TimeSpan.FromSeconds(1);

    public const long SettleQuietBytes = 1L << 20;

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
    /// Also release once the start has settled (the first <see cref="SettlePeriod"/> with less than
    /// <see cref="SettleQuietBytes"/> allocated), whatever was allocated: the garbage of a start that ran without a
    /// collection (<see cref="StartupGcPause"/>) and of the controllers' first lists, about 10 MB of an idle server's
    /// memory.
    /// </param>
    public IdleHeapRelease(TimeProvider time, ILogger logger, Func<long>? allocatedBytes = null, Action? release = null, bool afterStart = false)
    {
        _startPending = afterStart;
        _allocatedBytes = allocatedBytes ?? (() => GC.GetTotalAllocatedBytes(precise: false));
        _release = release ?? ReleaseHeap;
        _logger = logger;
        _atLastCheck = _atLastRelease = _allocatedBytes();
        var first = afterStart ? SettlePeriod : Period;
        _timer = time.CreateTimer(_ => Check(), null, first, first);
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
            if (_startPending)
            {
                if (lastPeriod >= SettleQuietBytes)
                {
                    return;
                }

                _startPending = false;
                _timer.Change(Period, Period);
            }
            else if (lastPeriod >= QuietBytes || now - _atLastRelease < BurstBytes)
            {
                return;
            }

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
