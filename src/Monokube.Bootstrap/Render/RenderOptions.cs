namespace Monokube.Bootstrap.Render;

/// <summary>What monokube render is asked for (its flags).</summary>
public sealed class RenderOptions
{
    public required string AssetDir { get; init; }

    /// <summary>The cluster's apiserver URLs; the first is the one kubeconfigs use, every host is a SAN.</summary>
    public IReadOnlyList<Uri> ApiServers { get; init; } = [new("https://127.0.0.1:6443")];

    public IReadOnlyList<Uri> EtcdServers { get; init; } = [new("http://127.0.0.1:2379")];

    public string? EtcdCaFile { get; init; }

    public string? EtcdCertFile { get; init; }

    public string? EtcdKeyFile { get; init; }

    /// <summary>The address the managed kube-apiserver listens on (all addresses by default; 127.0.0.1 for a cluster on one machine).</summary>
    public string BindAddress { get; init; } = "0.0.0.0";

    public string ServiceCidr { get; init; } = "10.96.0.0/12";

    public string PodCidr { get; init; } = "10.244.0.0/16";

    public string ClusterDomain { get; init; } = "cluster.local";

    public string KubernetesVersion { get; init; } = "v1.33.0";

    public string ImageRepository { get; init; } = "registry.k8s.io";

    /// <summary>The image of the managed kubelet DaemonSet; default &lt;image-repository&gt;/kubelet:&lt;version&gt;.</summary>
    public string? KubeletImage { get; init; }

    public string CorednsVersion { get; init; } = "v1.12.0";

    public int MasterCount { get; init; } = 1;

    public TimeSpan CaLifetime { get; init; } = TimeSpan.FromDays(3650);

    public TimeSpan LeafLifetime { get; init; } = TimeSpan.FromDays(365);

    public TimeSpan BootstrapTokenTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Render into a directory that already has files (the CA and keys there are kept).</summary>
    public bool Force { get; init; }

    /// <summary>Only re-issue the leaf certificates from the existing CAs, and the files that carry them.</summary>
    public bool RotateCerts { get; init; }
}
