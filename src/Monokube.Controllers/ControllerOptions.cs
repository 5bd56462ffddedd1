using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Monokube.Controllers.Nodes.Ipam;

namespace Monokube.Controllers;

/// <summary>The settings of the built-in controllers (kube-controller-manager's flags where they mean the same).</summary>
public sealed class ControllerOptions
{
    /// <summary>
    /// The controllers to run (--controllers): names (or their older aliases), "*" for every controller not off by
    /// default, "-name" to leave one out; the first entry naming a controller decides, as in kube-controller-manager.
    /// </summary>
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

    /// <summary>--service-account-private-key-file: the key legacy service-account token Secrets are signed with (null: none).</summary>
    public RSA? ServiceAccountPrivateKey { get; init; }

    /// <summary>--use-service-account-credentials: each controller acts as its own kube-system service account.</summary>
    public bool UseServiceAccountCredentials { get; init; }

    /// <summary>--allocate-node-cidrs with --cluster-cidr: what the node-ipam controller hands out (null: it stays off).</summary>
    public NodeIpamOptions? NodeIpam { get; init; }

    public bool IsEnabled(string name)
    {
        var star = false;
        foreach (var entry in Enabled)
        {
            var negated = entry.StartsWith('-');
            var named = negated ? entry[1..] : entry;
            if (named == "*")
            {
                star = true;
            }
            else if ((BuiltinControllers.Canonical(named) ?? named) == name)
            {
                return !negated;
            }
        }

        return star && !BuiltinControllers.DisabledByDefault.Contains(name);
    }
}

/// <summary>Where the kubernetes Service points: the apiserver's address and port.</summary>
public sealed record KubernetesServiceEndpoint(string Address, int Port);
