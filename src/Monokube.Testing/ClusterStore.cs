namespace Monokube.Testing;

/// <summary>Where a test cluster keeps its objects: in memory (the default) or in an etcd you run.</summary>
public sealed class ClusterStore
{
    private ClusterStore(IReadOnlyList<Uri>? etcdEndpoints, string? etcdPrefix)
    {
        EtcdEndpoints = etcdEndpoints;
        EtcdPrefix = etcdPrefix;
    }

    /// <summary>monokube's embedded memory store: nothing to install, gone when the cluster is disposed.</summary>
    public static ClusterStore Memory { get; } = new(null, null);

    /// <summary>The etcd client URLs, or null for the memory store.</summary>
    public IReadOnlyList<Uri>? EtcdEndpoints { get; }

    /// <summary>The key prefix in etcd (kube-apiserver's --etcd-prefix); null: a fresh one per cluster.</summary>
    public string? EtcdPrefix { get; }

    /// <summary>
    /// An etcd (3.4 or later) in kube-apiserver's layout. Without <paramref name="prefix"/> each cluster gets a prefix of
    /// its own (<c>/monokube-testing/&lt;random&gt;</c>), so clusters sharing one etcd do not see each other's objects,
    /// and its keys are deleted when the cluster is disposed. A prefix you give is yours: it is reused and kept.
    /// </summary>
    public static ClusterStore Etcd(string endpoints, string? prefix = null) =>
        Etcd(Storage.Etcd.EtcdOptions.ParseEndpoints(endpoints), prefix);

    /// <inheritdoc cref="Etcd(string, string?)"/>
    public static ClusterStore Etcd(IReadOnlyList<Uri> endpoints, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("at least one etcd endpoint is needed", nameof(endpoints));
        }

        if (prefix is not null && !prefix.StartsWith('/'))
        {
            throw new ArgumentException("an etcd prefix starts with '/'", nameof(prefix));
        }

        return new ClusterStore(endpoints, prefix);
    }

    /// <summary>Whether this is an etcd store.</summary>
    public bool IsEtcd => EtcdEndpoints is not null;

    /// <inheritdoc/>
    public override string ToString() => IsEtcd ? $"etcd {string.Join(',', EtcdEndpoints!)}{EtcdPrefix}" : "memory";
}
