using k8s;
using Monokube.Testing.Xunit;
using Xunit;

namespace Samples;

[Collection(nameof(SharedCluster))]
public class SharedClusterOtherTests(MonokubeClusterFixture fixture)
{
    [Fact]
    public async Task Another_class_gets_the_same_cluster()
    {
        var ct = TestContext.Current.CancellationToken;
        var namespaces = await fixture.Client.CoreV1.ListNamespaceAsync(cancellationToken: ct);
        Assert.Contains(namespaces.Items, n => n.Metadata.Name == "kube-system");
    }
}
