namespace Monokube.Node;

/// <summary>What monokube node is asked for (the kubelet's flags where they mean the same, and the fake runtime's).</summary>
public sealed class NodeAgentOptions
{
    /// <summary>The kubeconfig the agent works with; written by the TLS bootstrap when absent.</summary>
    public required string Kubeconfig { get; init; }

    /// <summary>The bootstrap kubeconfig (a bootstrap token) used to get a client certificate when --kubeconfig is absent.</summary>
    public string? BootstrapKubeconfig { get; init; }

    /// <summary>Where the issued client certificate and key are kept (kubelet-client-current.pem).</summary>
    public string CertDir { get; init; } = "/var/lib/kubelet/pki";

    /// <summary>--rotate-certificates (rotateCertificates): renew the client certificate as it nears expiry (the kubelet's default: off).</summary>
    public bool RotateCertificates { get; init; }

    public required string NodeName { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Taints given at registration: key=value:Effect.</summary>
    public IReadOnlyList<(string Key, string? Value, string Effect)> Taints { get; init; } = [];

    /// <summary>Simulate this many nodes (named NodeName-0 ... NodeName-(N-1)); 1 means the node NodeName itself.</summary>
    public int Count { get; init; } = 1;

    public static IReadOnlyDictionary<string, string> DefaultCapacity { get; } = new Dictionary<string, string> { ["cpu"] = "4", ["memory"] = "8Gi", ["pods"] = "110", ["ephemeral-storage"] = "100Gi" };

    public IReadOnlyDictionary<string, string> Capacity { get; init; } = DefaultCapacity;

    public string NodeIp { get; init; } = "127.0.0.1";

    /// <summary>How often the node's Lease is renewed (the kubelet's 10 s), its duration 40 s.</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a fake container takes to start.</summary>
    public TimeSpan StartDelay { get; init; } = TimeSpan.Zero;

    /// <summary>How long a fake container of a pod that does not restart (restartPolicy Never/OnFailure) runs before it completes.</summary>
    public TimeSpan RunDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>--lock-file: held while the agent runs; with ExitOnLockContention the agent exits when another process opens it.</summary>
    public string? LockFile { get; init; }

    public bool ExitOnLockContention { get; init; }

    /// <summary>Which runtime runs the pods: simulated containers, or local processes for the images in the image map.</summary>
    public NodeRuntime Runtime { get; init; } = NodeRuntime.Fake;

    /// <summary>--image-map: the images the process runtime runs as local processes.</summary>
    public Runtime.ImageMap Images { get; init; } = Monokube.Node.Runtime.ImageMap.Empty;

    /// <summary>--root-dir: the agent's directory; pods' volumes, processes' state and logs are under &lt;root-dir&gt;/pods.</summary>
    public string RootDir { get; init; } = "/var/lib/kubelet";

    /// <summary>--host-root: where the host's file system is for hostPath volumes and the paths in --config ("/" on a real node).</summary>
    public string HostRoot { get; init; } = "/";

    /// <summary>The kubelet port serving container logs (0: any free port; the Node's status says which). monokube node's --port defaults to the kubelet's 10250.</summary>
    public int Port { get; init; }

    /// <summary>The kubelet port's address; monokube node's --address defaults to the kubelet's 0.0.0.0.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>Clients of the kubelet port must present a certificate from this CA (the apiserver's kubelet client); none: no client authentication.</summary>
    public string? ClientCaFile { get; init; }

    /// <summary>--pod-manifest-path: static pods (process runtime), each with a mirror pod in the API.</summary>
    public string? StaticPodPath { get; init; }

    /// <summary>How often the static pod directory is read again (the kubelet's fileCheckFrequency).</summary>
    public TimeSpan FileCheckFrequency { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>--runonce: start the static pods without any API, wait until they run, and exit (they keep running).</summary>
    public bool RunOnce { get; init; }
}
