using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Serialization;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>metav1.Time text, and objects written to bytes through the reused per-thread buffer.</summary>
public sealed class KubeTimeTests
{
    [Fact]
    public void Times_are_whole_utc_seconds_in_rfc_3339()
    {
        var at = new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2));

        Assert.Equal("2030-01-02T01:04:05Z", KubeTime.Format(at));
        Assert.Equal("2030-01-02T01:04:05Z", KubeTime.Format(at.AddMilliseconds(300)));
        Assert.Equal("2030-01-02T01:04:06Z", KubeTime.Format(at.AddMilliseconds(400)));
        Assert.Equal("0001-01-01T00:00:00Z", KubeTime.Format(DateTimeOffset.MinValue));
        Assert.Equal("2030-01-02T01:04:05Z", KubeTime.Format(at));
    }

    [Fact]
    public void Objects_written_one_after_another_keep_nothing_of_the_one_before()
    {
        var large = new JsonObject { ["data"] = new string('x', 300 * 1024) };
        var small = new JsonObject { ["kind"] = "ConfigMap", ["data"] = new JsonObject { ["a"] = "+'<" } };

        var first = JsonOutput.ToBytes(small);
        Assert.Equal(300 * 1024 + 11, JsonOutput.ToBytes(large).Length);
        var second = JsonOutput.ToBytes(small);

        Assert.Equal("""{"kind":"ConfigMap","data":{"a":"+'<"}}""", Encoding.UTF8.GetString(first));
        Assert.Equal(first, second);
    }
}
