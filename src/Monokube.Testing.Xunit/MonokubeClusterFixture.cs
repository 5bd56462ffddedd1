using k8s;
using Xunit;

namespace Monokube.Testing.Xunit;

/// <summary>
/// A <see cref="MonokubeCluster"/> for a test class (<c>IClassFixture&lt;MonokubeClusterFixture&gt;</c>) or a test
/// collection (<c>ICollectionFixture&lt;MonokubeClusterFixture&gt;</c>): started before the first test, disposed after
/// the last. Subclass it and override <see cref="CreateOptions"/> for other options.
/// </summary>
public class MonokubeClusterFixture : IAsyncLifetime
{
    private MonokubeCluster? _cluster;

    /// <summary>The cluster (started by xUnit before the tests that use the fixture).</summary>
    public MonokubeCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster is not started: xUnit starts it before the tests that use this fixture");

    /// <summary>The cluster's official C# client.</summary>
    public IKubernetes Client => Cluster.Client;

    /// <summary>The options the cluster starts with; the defaults unless overridden.</summary>
    protected virtual MonokubeClusterOptions CreateOptions() => new();

    /// <summary>Starts the cluster.</summary>
    public virtual async ValueTask InitializeAsync() =>
        _cluster = await MonokubeCluster.StartAsync(CreateOptions(), TestContext.Current.CancellationToken);

    /// <summary>Stops the cluster.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
