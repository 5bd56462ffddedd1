using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Security.Pki;
using Monokube.ApiServer.Services;

namespace Monokube.Bootstrap.Render;

/// <summary>
/// monokube render: the cluster's certificates and keys (tls/), kubeconfigs and the bootstrap token (auth/), the
/// self-hosted control plane (manifests/) and what runs on the first master before it exists (bootstrap/).
/// CAs live 10 years and leaves one (by default); a re-render keeps the CAs and the service-account key, and
/// --rotate-certs re-issues only the leaves (and the files that carry them) from the same CAs.
/// </summary>
public sealed class AssetRenderer(RenderOptions options, TimeProvider time)
{
    private const string TokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>Renders; returns the files written, relative to the asset directory.</summary>
    public async Task<IReadOnlyList<string>> RenderAsync(CancellationToken cancellationToken)
    {
        var serviceRange = Parse(() => ServiceIpRange.Parse(options.ServiceCidr), "--service-cidr");
        Parse(() => ServiceIpRange.Parse(options.PodCidr), "--pod-cidr");
        Validate();
        PrepareDirectory();

        var written = new List<string>();
        var now = time.GetUtcNow();
        using var ca = LoadOrCreateCa("ca", "kubernetes", now, written);
        using var frontProxyCa = LoadOrCreateCa("front-proxy-ca", "front-proxy-ca", now, written);
        EnsureServiceAccountKey(written);

        var apiServer = options.ApiServers[0];
        var kubernetesIp = serviceRange.At(1);
        var dns = new List<string> { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc." + options.ClusterDomain };
        var ips = new List<IPAddress> { IPAddress.Loopback, kubernetesIp };
        foreach (var server in options.ApiServers)
        {
            if (IPAddress.TryParse(server.Host.Trim('[', ']'), out var ip))
            {
                ips.Add(ip);
            }
            else
            {
                dns.Add(server.Host);
            }
        }

        Leaf("apiserver", ca.IssueServing("kube-apiserver", dns.Distinct(), ips.Distinct(), options.LeafLifetime, now), written);
        Leaf("apiserver-kubelet-client", ca.IssueClient("kube-apiserver-kubelet-client", ["system:masters"], options.LeafLifetime, now), written);
        Leaf("front-proxy-client", frontProxyCa.IssueClient("front-proxy-client", [], options.LeafLifetime, now), written);
        var caPem = ca.Certificate.ExportCertificatePem() + "\n";
        await KubeconfigAsync("admin.kubeconfig", ca.IssueClient("kubernetes-admin", ["system:masters"], options.LeafLifetime, now), "kubernetes-admin", caPem, written, cancellationToken);
        await KubeconfigAsync("kube-controller-manager.kubeconfig", ca.IssueClient("system:kube-controller-manager", [], options.LeafLifetime, now), "system:kube-controller-manager", caPem, written, cancellationToken);
        await KubeconfigAsync("kube-scheduler.kubeconfig", ca.IssueClient("system:kube-scheduler", [], options.LeafLifetime, now), "system:kube-scheduler", caPem, written, cancellationToken);

        var (tokenId, tokenSecret) = BootstrapToken(written);
        await Kubeconfig.WriteWithTokenAsync(Path.Combine(options.AssetDir, "auth", "bootstrap-kubeconfig"), apiServer, caPem, tokenId + "." + tokenSecret, "kubelet-bootstrap", cancellationToken);
        written.Add("auth/bootstrap-kubeconfig");
        CopyEtcdFiles(written);

        SetValues(serviceRange, tokenId, tokenSecret, now);
        var kubeletConfig = Template.Fill(Template.Read("assets/bootstrap/kubelet-config.yaml"), "kubelet-config.yaml", Value);
        _values["kubeletConfig"] = kubeletConfig;
        foreach (var name in Template.Names("assets/bootstrap/").Concat(Template.Names("assets/manifests/")))
        {
            var relative = name["assets/".Length..];
            var text = name.EndsWith("kubelet-config.yaml", StringComparison.Ordinal) ? kubeletConfig : Template.Fill(Template.Read(name), relative, Value);
            PemFiles.WriteFile(Path.Combine(options.AssetDir, relative), text, secret: relative.StartsWith("manifests/", StringComparison.Ordinal));
            written.Add(relative);
        }

        return written;
    }

    private static T Parse<T>(Func<T> parse, string flag)
    {
        try
        {
            return parse();
        }
        catch (FormatException e)
        {
            throw new RenderException($"invalid {flag}: {e.Message}");
        }
    }

    private void Validate()
    {
        if (options.ApiServers.Count == 0 || options.ApiServers.Any(u => u.Scheme != "https"))
        {
            throw new RenderException("--api-servers must be https:// URLs");
        }

        if (options.MasterCount < 1)
        {
            throw new RenderException("--master-count must be at least 1");
        }

        if (string.IsNullOrWhiteSpace(options.ClusterDomain) || options.ClusterDomain.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.')))
        {
            throw new RenderException($"invalid --cluster-domain \"{options.ClusterDomain}\"");
        }

        if (string.IsNullOrEmpty(options.EtcdCertFile) != string.IsNullOrEmpty(options.EtcdKeyFile))
        {
            throw new RenderException("--etcd-certfile and --etcd-keyfile go together");
        }

        foreach (var file in new[] { options.EtcdCaFile, options.EtcdCertFile, options.EtcdKeyFile }.Where(f => !string.IsNullOrEmpty(f)))
        {
            if (!File.Exists(file))
            {
                throw new RenderException($"{file} does not exist");
            }
        }
    }

    // A directory with files is rendered into only when asked (--force, --rotate-certs), and never loses its CAs.
    private void PrepareDirectory()
    {
        var hasFiles = Directory.Exists(options.AssetDir) && Directory.EnumerateFileSystemEntries(options.AssetDir).Any();
        if (options.RotateCerts && !File.Exists(Path.Combine(options.AssetDir, "tls", "ca.key")))
        {
            throw new RenderException($"--rotate-certs needs the CA rendered before: {Path.Combine(options.AssetDir, "tls", "ca.key")} does not exist");
        }

        if (hasFiles && !options.Force && !options.RotateCerts)
        {
            throw new RenderException($"{options.AssetDir} is not empty; render into it again with --force (its CAs and keys are kept) or re-issue its certificates with --rotate-certs");
        }

        Directory.CreateDirectory(options.AssetDir);
    }

    private string TlsFile(string name) => Path.Combine(options.AssetDir, "tls", name);

    private CertificateAuthority LoadOrCreateCa(string name, string commonName, DateTimeOffset now, List<string> written)
    {
        var cert = TlsFile(name + ".crt");
        var key = TlsFile(name + ".key");
        if (File.Exists(cert) && File.Exists(key))
        {
            return CertificateAuthority.Load(cert, key);
        }

        if (File.Exists(cert) || File.Exists(key))
        {
            throw new RenderException($"{cert} and {key} must both be there or both be absent; refusing to replace a CA");
        }

        var ca = CertificateAuthority.Create(commonName, options.CaLifetime, now);
        PemFiles.WriteCertificate(cert, ca.Certificate);
        PemFiles.WriteKey(key, ca.Certificate);
        written.Add($"tls/{name}.crt");
        written.Add($"tls/{name}.key");
        return ca;
    }

    private void EnsureServiceAccountKey(List<string> written)
    {
        var file = TlsFile("service-account.key");
        if (File.Exists(file))
        {
            return;
        }

        using var key = RSA.Create(2048);
        PemFiles.WriteFile(file, key.ExportPkcs8PrivateKeyPem() + "\n", secret: true);
        PemFiles.WriteFile(TlsFile("service-account.pub"), key.ExportSubjectPublicKeyInfoPem() + "\n", secret: false);
        written.Add("tls/service-account.key");
        written.Add("tls/service-account.pub");
    }

    private void Leaf(string name, X509Certificate2 certificate, List<string> written)
    {
        using (certificate)
        {
            PemFiles.WriteCertificate(TlsFile(name + ".crt"), certificate);
            PemFiles.WriteKey(TlsFile(name + ".key"), certificate);
        }

        written.Add($"tls/{name}.crt");
        written.Add($"tls/{name}.key");
    }

    private async Task KubeconfigAsync(string file, X509Certificate2 certificate, string user, string caPem, List<string> written, CancellationToken cancellationToken)
    {
        using (certificate)
        {
            var key = certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n";
            await Kubeconfig.WriteWithCertificateAsync(Path.Combine(options.AssetDir, "auth", file), options.ApiServers[0], caPem, certificate.ExportCertificatePem() + "\n", key, user, cancellationToken);
        }

        written.Add("auth/" + file);
    }

    // A fresh token (kube's format: 6 and 16 characters of [a-z0-9]); a certificate rotation keeps the one there.
    private (string Id, string Secret) BootstrapToken(List<string> written)
    {
        var file = Path.Combine(options.AssetDir, "auth", "bootstrap-token");
        if (options.RotateCerts && File.Exists(file) && File.ReadAllText(file).Trim().Split('.') is [{ Length: 6 } id, { Length: 16 } secret])
        {
            return (id, secret);
        }

        var token = (Random(6), Random(16));
        PemFiles.WriteFile(file, token.Item1 + "." + token.Item2 + "\n", secret: true);
        written.Add("auth/bootstrap-token");
        return token;

        static string Random(int length) => new([.. Enumerable.Range(0, length).Select(_ => TokenAlphabet[RandomNumberGenerator.GetInt32(TokenAlphabet.Length)])]);
    }

    private void CopyEtcdFiles(List<string> written)
    {
        foreach (var (source, name) in new[] { (options.EtcdCaFile, "etcd-ca.crt"), (options.EtcdCertFile, "etcd-client.crt"), (options.EtcdKeyFile, "etcd-client.key") })
        {
            if (!string.IsNullOrEmpty(source))
            {
                PemFiles.WriteFile(TlsFile(name), File.ReadAllText(source), secret: name.EndsWith(".key", StringComparison.Ordinal));
                written.Add("tls/" + name);
            }
        }
    }

    private void SetValues(ServiceIpRange serviceRange, string tokenId, string tokenSecret, DateTimeOffset now)
    {
        var apiServer = options.ApiServers[0];
        _values["apiServer"] = apiServer.ToString().TrimEnd('/');
        _values["apiserverPort"] = apiServer.Port.ToString(CultureInfo.InvariantCulture);
        _values["etcdServers"] = string.Join(",", options.EtcdServers.Select(u => u.ToString().TrimEnd('/')));
        _values["serviceCidr"] = options.ServiceCidr;
        _values["bindAddress"] = options.BindAddress;
        _values["podCidr"] = options.PodCidr;
        _values["dnsIp"] = serviceRange.At(10).ToString();
        _values["clusterDomain"] = options.ClusterDomain;
        _values["kubernetesVersion"] = options.KubernetesVersion;
        _values["imageRepository"] = options.ImageRepository.TrimEnd('/');
        _values["kubeletImage"] = options.KubeletImage ?? $"{options.ImageRepository.TrimEnd('/')}/kubelet:{options.KubernetesVersion}";
        _values["corednsVersion"] = options.CorednsVersion;
        // One per master: on the host's network each binds its health port (10257, 10259), which a master has once.
        _values["controlPlaneReplicas"] = Math.Max(1, options.MasterCount).ToString(CultureInfo.InvariantCulture);
        _values["signingDuration"] = ((long)options.LeafLifetime.TotalHours).ToString(CultureInfo.InvariantCulture) + "h0m0s";
        _values["tokenId"] = tokenId;
        _values["tokenSecret"] = tokenSecret;
        _values["tokenExpiration"] = (now + options.BootstrapTokenTtl).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        var etcdTls = !string.IsNullOrEmpty(options.EtcdCaFile) || !string.IsNullOrEmpty(options.EtcdCertFile);
        var flags = new StringBuilder();
        var data = new StringBuilder();
        if (!string.IsNullOrEmpty(options.EtcdCaFile))
        {
            flags.Append("- --etcd-cafile=/etc/kubernetes/secrets/etcd-ca.crt\n");
            data.Append("etcd-ca.crt: ").Append(Base64("tls/etcd-ca.crt")).Append('\n');
        }

        if (!string.IsNullOrEmpty(options.EtcdCertFile))
        {
            flags.Append("- --etcd-certfile=/etc/kubernetes/secrets/etcd-client.crt\n- --etcd-keyfile=/etc/kubernetes/secrets/etcd-client.key\n");
            data.Append("etcd-client.crt: ").Append(Base64("tls/etcd-client.crt")).Append('\n');
            data.Append("etcd-client.key: ").Append(Base64("tls/etcd-client.key")).Append('\n');
        }

        _values["etcdFlags"] = etcdTls ? flags.ToString() : "";

        // monokube start on the first master reads the same files from the asset directory cloud-init laid down.
        var startFlags = new StringBuilder();
        if (!string.IsNullOrEmpty(options.EtcdCaFile))
        {
            startFlags.Append(" --etcd-cafile /opt/monokube/assets/tls/etcd-ca.crt");
        }

        if (!string.IsNullOrEmpty(options.EtcdCertFile))
        {
            startFlags.Append(" --etcd-certfile /opt/monokube/assets/tls/etcd-client.crt --etcd-keyfile /opt/monokube/assets/tls/etcd-client.key");
        }

        _values["etcdStartFlags"] = startFlags.ToString();
        _values["etcdSecretData"] = data.ToString();
    }

    private string? Value(string key) =>
        key.StartsWith("b64:", StringComparison.Ordinal) ? Base64(key[4..]) : _values.GetValueOrDefault(key);

    private string Base64(string relative) =>
        Convert.ToBase64String(File.ReadAllBytes(Path.Combine(options.AssetDir, relative)));
}
