using System.Security.Cryptography.X509Certificates;

namespace Monokube.Controllers;

/// <summary>The settings of the built-in controllers (kube-controller-manager's flags where they mean the same).</summary>
public sealed class ControllerOptions
{
    /// <summary>The controllers to run (--controllers): their names, "*" for all, "-name" to leave one out.</summary>
    public IReadOnlyList<string> Enabled { get; init; } = ["*"];

    /// <summary>The CA that signs kubelet and client certificates (--cluster-signing-cert-file/-key-file); null: no signing.</summary>
    public X509Certificate2? SigningCertificate { get; init; }

    /// <summary>--cluster-signing-duration: the longest certificate the signer issues.</summary>
    public TimeSpan SigningDuration { get; init; } = TimeSpan.FromDays(365);

    /// <summary>The PEM CA bundle published as kube-root-ca.crt in every namespace (null: none published).</summary>
    public string? RootCaPem { get; init; }

    /// <summary>--node-monitor-grace-period: how long a node's Lease may go unrenewed before it is NotReady/Unknown.</summary>
    public TimeSpan NodeMonitorGracePeriod { get; init; } = TimeSpan.FromSeconds(50);

    /// <summary>How often the node lifecycle controller looks at every node (--node-monitor-period).</summary>
    public TimeSpan NodeMonitorPeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The apiserver endpoints for the default/kubernetes Service (null: that Service is not managed).</summary>
    public KubernetesServiceEndpoint? ApiServerEndpoint { get; init; }

    public bool IsEnabled(string name) =>
        !Enabled.Contains("-" + name) && (Enabled.Contains("*") || Enabled.Contains(name));
}

/// <summary>Where the kubernetes Service points: the apiserver's address and port.</summary>
public sealed record KubernetesServiceEndpoint(string Address, int Port);
