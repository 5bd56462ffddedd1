using System.Runtime;
using Monokube.Commands;

namespace Monokube.Tests;

[CollectionDefinition(nameof(StartupGcPauseTests), DisableParallelization = true)]
public sealed class StartupGcPauseCollection;

/// <summary>No collection while a start runs; the pause ends on dispose, or quietly if a collection ended it first.</summary>
[Collection(nameof(StartupGcPauseTests))]
public sealed class StartupGcPauseTests
{
    [Fact]
    public void Nothing_is_collected_until_the_pause_ends()
    {
        var kept = new List<byte[]>();
        using (new StartupGcPause())
        {
            Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
            var collections = GC.CollectionCount(0);

            // 8 MB of garbage, well under the pause's budget.
            for (var i = 0; i < 1000; i++)
            {
                kept.Add(new byte[8 * 1024]);
                kept.RemoveAt(0);
            }

            Assert.Equal(collections, GC.CollectionCount(0));
        }

        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        GC.KeepAlive(kept);
    }

    [Fact]
    public void A_pause_a_collection_already_ended_is_disposed_quietly()
    {
        var pause = new StartupGcPause();
        GC.Collect();
        pause.Dispose();
        pause.Dispose();
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }
}
