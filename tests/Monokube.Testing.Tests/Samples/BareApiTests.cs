using Xunit;

namespace Samples;

public class BareApiTests(BareApiFixture fixture) : IClassFixture<BareApiFixture>
{
    [Fact]
    public async Task A_bare_api_leaves_your_objects_to_your_controller()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.Cluster.ApplyAsync("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: mine}
            """, ct);

        var ns = await fixture.Cluster.WaitForAsync("v1", "Namespace", null, "mine", _ => true, cancellationToken: ct);
        Assert.False(fixture.Cluster.Options.Controllers);
        Assert.Equal("Active", ns["status"]?["phase"]?.ToString());
    }
}
