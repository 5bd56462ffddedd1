using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monokube.Commands;

namespace Monokube.Tests;

/// <summary>The heap is released once, when a process goes quiet after a burst of allocation.</summary>
public sealed class IdleHeapReleaseTests
{
    private const long MiB = 1 << 20;

    private readonly FakeTimeProvider _clock = new();
    private long _allocated = 1000 * MiB;
    private int _released;

    private IdleHeapRelease Start(bool afterStart = false) => new(_clock, NullLogger.Instance, () => _allocated, () => _released++, afterStart);

    // One period passes with this much allocated in it.
    private void Period(long allocated) => Tick(IdleHeapRelease.Period, allocated);

    private void Tick(TimeSpan time, long allocated)
    {
        _allocated += allocated;
        _clock.Advance(time);
    }

    [Fact]
    public void Nothing_is_released_while_the_process_stays_busy()
    {
        using var release = Start();

        for (var i = 0; i < 10; i++)
        {
            Period(IdleHeapRelease.BurstBytes);
        }

        Assert.Equal(0, _released);
    }

    [Fact]
    public void A_quiet_process_that_never_had_a_burst_is_left_alone()
    {
        using var release = Start();

        for (var i = 0; i < 10; i++)
        {
            Period(IdleHeapRelease.QuietBytes - 1);
        }

        Assert.Equal(0, _released);
    }

    [Fact]
    public void After_a_start_the_first_quiet_second_releases_once_without_a_burst()
    {
        using var release = Start(afterStart: true);
        Tick(IdleHeapRelease.SettlePeriod, IdleHeapRelease.SettleQuietBytes);
        Tick(IdleHeapRelease.SettlePeriod, IdleHeapRelease.SettleQuietBytes * 3);
        Assert.Equal(0, _released);

        Tick(IdleHeapRelease.SettlePeriod, IdleHeapRelease.SettleQuietBytes - 1);
        Assert.Equal(1, _released);

        for (var i = 0; i < 10; i++)
        {
            Period(MiB);
        }

        Assert.Equal(1, _released);
    }

    [Fact]
    public void After_the_start_release_the_checks_are_every_period_again()
    {
        using var release = Start(afterStart: true);
        Tick(IdleHeapRelease.SettlePeriod, 0);
        Assert.Equal(1, _released);

        // A burst and a quiet second are not a quiet period: nothing until a whole period has passed.
        Tick(IdleHeapRelease.Period - IdleHeapRelease.SettlePeriod, IdleHeapRelease.BurstBytes);
        Tick(IdleHeapRelease.SettlePeriod, 0);
        Assert.Equal(1, _released);

        Period(0);
        Assert.Equal(2, _released);
    }

    [Fact]
    public void The_first_quiet_period_after_a_burst_releases_once()
    {
        using var release = Start();
        Period(IdleHeapRelease.BurstBytes / 2);
        Period(IdleHeapRelease.BurstBytes / 2);
        Assert.Equal(0, _released);

        Period(MiB);
        Assert.Equal(1, _released);

        for (var i = 0; i < 5; i++)
        {
            Period(MiB);
        }

        Assert.Equal(1, _released);
        Assert.Equal(1, release.Releases);
    }

    [Fact]
    public void The_next_burst_releases_again_once_it_is_over()
    {
        using var release = Start();
        Period(IdleHeapRelease.BurstBytes);
        Period(0);
        Assert.Equal(1, _released);

        Period(IdleHeapRelease.BurstBytes);
        Assert.Equal(1, _released);
        Period(0);
        Assert.Equal(2, _released);
    }

    [Fact]
    public void Small_allocations_while_quiet_add_up_to_a_release_only_after_a_burst_worth()
    {
        using var release = Start();
        var quietPeriods = (int)(IdleHeapRelease.BurstBytes / (IdleHeapRelease.QuietBytes - 1));

        for (var i = 0; i < quietPeriods; i++)
        {
            Period(IdleHeapRelease.QuietBytes - 1);
        }

        Assert.Equal(0, _released);
        Period(IdleHeapRelease.QuietBytes - 1);
        Period(IdleHeapRelease.QuietBytes - 1);
        Assert.Equal(1, _released);
    }
}
