using k8s;
using k8s.Models;
using Monokube.Testing.Xunit;
using Xunit;

namespace Samples;

[Collection(nameof(SharedCluster))]
public class SharedClusterTests(MonokubeClusterFixture fixture)
{
    [Fact]
    public async Task Tests_sharing_a_cluster_keep_to_namespaces_of_their_own()
    {
        var ct = TestContext.Current.CancellationToken;
        var ns = "t-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: ct);

        // The controllers give every namespace its default ServiceAccount, as in a real cluster.
        await fixture.Cluster.WaitForAsync("v1", "ServiceAccount", ns, "default", _ => true, cancellationToken: ct);
    }
}
