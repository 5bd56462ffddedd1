using Microsoft.Extensions.Logging;

namespace Monokube.Testing;

/// <summary>What <see cref="MonokubeCluster.StartAsync(MonokubeClusterOptions?, CancellationToken)"/> starts.</summary>
public sealed class MonokubeClusterOptions
{
    /// <summary>Where objects live: <see cref="ClusterStore.Memory"/> (the default) or <see cref="ClusterStore.Etcd(string, string?)"/>.</summary>
    public ClusterStore Store { get; init; } = ClusterStore.Memory;

    /// <summary>
    /// Run monokube's built-in controllers and scheduler (as <c>monokube serve</c> does): Deployments get ReplicaSets
    /// and pods, pods are scheduled to nodes, namespaces finish deleting, owners' dependents are garbage collected,
    /// every namespace gets its <c>default</c> ServiceAccount. True by default. Set false for a bare API, as envtest
    /// gives (your own controller is then the only one acting on your objects).
    /// </summary>
    public bool Controllers { get; init; } = true;

    /// <summary>
    /// Simulated nodes to register before <see cref="MonokubeCluster.StartAsync(MonokubeClusterOptions?, CancellationToken)"/>
    /// returns, named <c>node-0</c> ... <c>node-(N-1)</c>: kubelets with a fake runtime that report the pods bound to them
    /// Running and Ready. 0 by default. With <see cref="Controllers"/> the scheduler places pods on them.
    /// </summary>
    public int Nodes { get; init; }

    /// <summary>
    /// Serve HTTPS (the default), with authentication, RBAC and admission as <c>monokube serve</c>; the kubeconfig trusts
    /// the cluster's CA and carries an admin client certificate (<c>CN=kubernetes-admin, O=system:masters</c>). The CA
    /// and keys are generated once per process and shared by its clusters. False: plain HTTP on loopback, where every
    /// request is an administrator.
    /// </summary>
    public bool Https { get; init; } = true;

    /// <summary>Where the server, controllers and nodes log; null (the default) discards their logs.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The field manager of <see cref="MonokubeCluster.ApplyAsync(string, CancellationToken)"/>.</summary>
    public string FieldManager { get; init; } = "monokube-testing";

    /// <summary>How long the wait helpers wait when not told otherwise.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Store);
        if (Nodes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Nodes), Nodes, "the number of simulated nodes cannot be negative");
        }

        if (DefaultTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultTimeout), DefaultTimeout, "the default timeout must be positive");
        }

        if (string.IsNullOrWhiteSpace(FieldManager))
        {
            throw new ArgumentException("a field manager is needed for server-side apply", nameof(FieldManager));
        }
    }
}
