using System.Text.RegularExpressions;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>Object uids are random version-4 UUIDs in their usual text form, none repeated.</summary>
public sealed partial class UidsTests
{
    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")]
    private static partial Regex Version4();

    [Fact]
    public void Uids_are_version_4_uuids_and_unique_across_refills_and_threads()
    {
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 2000; i++)
            {
                var uid = Uids.New();
                Assert.Matches(Version4(), uid);
                Assert.True(seen.TryAdd(uid, true), $"{uid} repeated");
            }
        });

        Assert.Equal(8000, seen.Count);
    }
}
