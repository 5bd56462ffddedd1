using System.Net;

namespace Monokube.ApiServer.Hosting;

public sealed class ApiServerOptions
{
    /// <summary>The address to listen on (kube-apiserver's --bind-address).</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    /// <summary>The port to listen on (kube-apiserver's --secure-port); 0 picks a free one.</summary>
    public int Port { get; init; } = 6443;

    /// <summary>
    /// Whether to hold kube-apiserver's identity Lease (kube-system/kube-apiserver-&lt;hash of the host name&gt;); off for
    /// monokube start, whose managed kube-apiserver on the same host holds the Lease of that name.
    /// </summary>
    public bool PublishIdentityLease { get; init; } = true;

    /// <summary>The Kubernetes release served (--emulated-version): /version, discovery, the bootstrap policy, the rules that changed.</summary>
    public KubernetesRelease Release { get; init; } = KubernetesRelease.Default;

    /// <summary>Serve plain HTTP instead of HTTPS; only allowed on a loopback address.</summary>
    public bool InsecureHttp { get; init; }

    public WatchOptions Watch { get; init; } = new();

    public Security.SecurityOptions Security { get; init; } = new();

    /// <summary>The range Service cluster IPs come from (kube-apiserver's --service-cluster-ip-range).</summary>
    public Services.ServiceIpRange ServiceClusterIpRange { get; init; } = Services.ServiceIpRange.Default;

    /// <summary>The range of Service node ports (kube-apiserver's --service-node-port-range).</summary>
    public (int First, int Last) ServiceNodePortRange { get; init; } = (30000, 32767);

    /// <summary>kube-apiserver's --request-timeout: a non-long-running request that takes longer gets a 504 Timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// kube-apiserver's --permit-port-sharing: SO_REUSEPORT on the listening socket, so another server (the managed
    /// kube-apiserver during the pivot) can bind the same address and port beside this one.
    /// </summary>
    public bool PermitPortSharing { get; init; }

    /// <summary>
    /// kube-apiserver's --allow-privileged: whether pods and pod templates may have privileged containers. On by
    /// default, unlike kube-apiserver: monokube has always accepted them and test harnesses (applying the rendered
    /// kubelet and kube-proxy DaemonSets, for one) rely on it; off, they are refused as kube-apiserver refuses them.
    /// </summary>
    public bool AllowPrivileged { get; init; } = true;

    /// <summary>The admission plugins monokube implements that are on (see <see cref="Admission.AdmissionPlugins"/>).</summary>
    public IReadOnlySet<string> AdmissionPlugins { get; init; } = Admission.AdmissionPlugins.Implemented.ToHashSet(StringComparer.Ordinal);

    /// <summary>How pods/log reaches kubelets.</summary>
    public Kubelet.KubeletClientOptions Kubelet { get; init; } = new();

    /// <summary>How long in-flight requests may take to finish when the server stops.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"port {Port} is out of range");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("the request timeout must be positive");
        }

        if (Watch.MaxPerClient < 1)
        {
            throw new ArgumentException("the bound on concurrent watches per client must be at least 1");
        }

        Kubelet.Validate();
        if (AdmissionPlugins.FirstOrDefault(p => !Admission.AdmissionPlugins.Implemented.Contains(p, StringComparer.Ordinal)) is { } plugin)
        {
            throw new ArgumentException($"admission plugin {plugin} is not supported by monokube");
        }

        if (InsecureHttp && !IPAddress.IsLoopback(BindAddress))
        {
            throw new ArgumentException($"plain HTTP is only served on a loopback address, not {BindAddress}");
        }
    }
}
