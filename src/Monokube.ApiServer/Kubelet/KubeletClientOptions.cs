namespace Monokube.ApiServer.Kubelet;

/// <summary>How the server reaches kubelets (pods/log): kube-apiserver's --kubelet-* flags.</summary>
public sealed class KubeletClientOptions
{
    /// <summary>The node address types kube-apiserver prefers by default, in order.</summary>
    public static readonly IReadOnlyList<string> DefaultPreferredAddressTypes = ["InternalIP", "Hostname", "InternalDNS", "ExternalDNS", "ExternalIP"];

    /// <summary>The types a node's status.addresses may carry.</summary>
    public static readonly IReadOnlyList<string> AddressTypes = ["Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"];

    /// <summary>--kubelet-client-certificate: the client certificate presented to kubelets (none: connect without one).</summary>
    public string? CertificateFile { get; init; }

    /// <summary>--kubelet-client-key: the key of <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>--kubelet-preferred-address-types: which of a node's addresses to dial, first match wins.</summary>
    public IReadOnlyList<string> PreferredAddressTypes { get; init; } = DefaultPreferredAddressTypes;

    /// <summary>The kubelet port when a node reports none in status.daemonEndpoints (kube's --kubelet-port).</summary>
    public int DefaultPort { get; init; } = 10250;

    /// <summary>How long dialling a kubelet may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public void Validate()
    {
        if (CertificateFile is null != KeyFile is null)
        {
            throw new ArgumentException("--kubelet-client-certificate and --kubelet-client-key go together");
        }

        if (PreferredAddressTypes.Count == 0)
        {
            throw new ArgumentException("--kubelet-preferred-address-types must name at least one address type");
        }

        if (PreferredAddressTypes.FirstOrDefault(t => !AddressTypes.Contains(t, StringComparer.Ordinal)) is { } unknown)
        {
            throw new ArgumentException($"--kubelet-preferred-address-types: unknown address type \"{unknown}\"; known: {string.Join(", ", AddressTypes)}");
        }
    }
}
