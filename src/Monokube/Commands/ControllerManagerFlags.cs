using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Monokube.CommandLine;
using Monokube.Controllers;
using Monokube.Controllers.Client;
using Monokube.Controllers.Nodes.Ipam;

namespace Monokube.Commands;

/// <summary>The flags only monokube controller-manager has (kube-controller-manager's names), turned into <see cref="ControllerOptions"/>.</summary>
internal sealed class ControllerManagerFlags
{
    private readonly Flag<IReadOnlyList<string>> _controllers;
    private readonly Flag<string> _signingCert;
    private readonly Flag<string> _signingKey;
    private readonly Flag<TimeSpan> _signingDuration;
    private readonly Flag<string> _rootCa;
    private readonly Flag<TimeSpan> _gracePeriod;
    private readonly Flag<TimeSpan> _monitorPeriod;
    private readonly Flag<bool> _useServiceAccountCredentials;
    private readonly Flag<string> _serviceAccountKey;
    private readonly Flag<bool> _allocateNodeCidrs;
    private readonly Flag<string> _clusterCidr;
    private readonly Flag<int> _maskSize;
    private readonly Flag<int> _maskSizeIPv4;
    private readonly Flag<int> _maskSizeIPv6;
    private readonly Flag<string> _serviceRange;
    private NodeIpamOptions? _nodeIpam;

    public ControllerManagerFlags(FlagSet flags)
    {
        _controllers = flags.StringList("controllers", "Controllers to run: names (or their aliases), * for every one not off by default, -name to leave one out (default *). Names: "
            + string.Join(", ", BuiltinControllers.Names) + ". Off by default: " + string.Join(", ", BuiltinControllers.DisabledByDefault));
        _signingCert = flags.String("cluster-signing-cert-file", "", "PEM CA certificate that signs approved kubelet and client CSRs (no signing without it)");
        _signingKey = flags.String("cluster-signing-key-file", "", "PEM private key of --cluster-signing-cert-file");
        _signingDuration = flags.Duration("cluster-signing-duration", TimeSpan.FromDays(365), "The longest certificate the CSR signer issues");
        _rootCa = flags.String("root-ca-file", "", "PEM CA bundle published as kube-root-ca.crt in every namespace and put in service-account token Secrets; default: the kubeconfig's CA");
        _gracePeriod = flags.Duration("node-monitor-grace-period", TimeSpan.FromSeconds(50), "How long a node's kubelet may be silent before the node is Unknown");
        _monitorPeriod = flags.Duration("node-monitor-period", TimeSpan.FromSeconds(5), "How often every node's health is checked");
        _useServiceAccountCredentials = flags.Bool("use-service-account-credentials", false, "Each controller talks to the API as its own service account kube-system/<name> (created when missing, tokens from TokenRequest)");
        _serviceAccountKey = flags.String("service-account-private-key-file", "", "PEM RSA private key that signs the tokens of kubernetes.io/service-account-token Secrets (the serviceaccount-token controller runs only with it)");
        _allocateNodeCidrs = flags.Bool("allocate-node-cidrs", false, "Give every node spec.podCIDR(s) from --cluster-cidr (the node-ipam controller)");
        _clusterCidr = flags.String("cluster-cidr", "", "The pod CIDR of the cluster, or one IPv4 and one IPv6 CIDR, comma separated (with --allocate-node-cidrs)");
        _maskSize = flags.Int("node-cidr-mask-size", 0, "The prefix length of each node's CIDR in a single-stack cluster (default 24 for IPv4, 64 for IPv6)");
        _maskSizeIPv4 = flags.Int("node-cidr-mask-size-ipv4", 0, "The prefix length of each node's IPv4 CIDR (default 24)");
        _maskSizeIPv6 = flags.Int("node-cidr-mask-size-ipv6", 0, "The prefix length of each node's IPv6 CIDR (default 64)");
        _serviceRange = flags.String("service-cluster-ip-range", "", "The Service CIDR(s), never handed out as node CIDRs");
    }

    /// <summary>Checks the flags; a <see cref="CommandLineException"/> says what is wrong.</summary>
    public void Validate()
    {
        var named = _controllers.Value.Select(c => c.TrimStart('-')).FirstOrDefault(c => c != "*" && BuiltinControllers.Canonical(c) is null);
        if (named is not null)
        {
            throw new CommandLineException($"unknown controller \"{named}\" in --controllers; known: {string.Join(", ", BuiltinControllers.Names)}");
        }

        if (_signingCert.Value.Length > 0 != _signingKey.Value.Length > 0)
        {
            throw new CommandLineException("--cluster-signing-cert-file and --cluster-signing-key-file go together");
        }

        if (_allocateNodeCidrs.Value)
        {
            try
            {
                _nodeIpam = NodeIpamOptions.Parse(_clusterCidr.Value, _maskSize.Value, _maskSizeIPv4.Value, _maskSizeIPv6.Value, _serviceRange.Value);
            }
            catch (FormatException e)
            {
                throw new CommandLineException(e.Message);
            }
        }
    }

    /// <summary>The controllers' options, with the files the flags name read (their errors are thrown as they are).</summary>
    public async Task<ControllerOptions> LoadAsync(KubeClientOptions client, CancellationToken cancellationToken) => new()
    {
        Enabled = _controllers.Value.Count == 0 ? ["*"] : _controllers.Value,
        SigningCertificate = _signingCert.Value.Length > 0 ? X509Certificate2.CreateFromPemFile(_signingCert.Value, _signingKey.Value) : null,
        SigningDuration = _signingDuration.Value,
        RootCaPem = _rootCa.Value.Length > 0 ? await File.ReadAllTextAsync(_rootCa.Value, cancellationToken) : RootCaOf(client),
        NodeMonitorGracePeriod = _gracePeriod.Value,
        NodeMonitorPeriod = _monitorPeriod.Value,
        UseServiceAccountCredentials = _useServiceAccountCredentials.Value,
        ServiceAccountPrivateKey = _serviceAccountKey.Value.Length > 0 ? await LoadRsaAsync(_serviceAccountKey.Value, cancellationToken) : null,
        NodeIpam = _nodeIpam,
    };

    private static async Task<RSA> LoadRsaAsync(string file, CancellationToken cancellationToken)
    {
        var pem = await File.ReadAllTextAsync(file, cancellationToken);
        if (!pem.Contains("RSA PRIVATE KEY", StringComparison.Ordinal) && !pem.Contains("BEGIN PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{file}: --service-account-private-key-file must hold a PEM RSA private key");
        }

        var key = RSA.Create();
        try
        {
            key.ImportFromPem(pem);
            return key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidDataException($"{file}: not a PEM RSA private key ({e.Message})", e);
        }
    }

    private static string? RootCaOf(KubeClientOptions options) =>
        options.CertificateAuthorities.Count == 0 ? null : string.Concat(options.CertificateAuthorities.Select(c => c.ExportCertificatePem() + "\n"));
}
