using Monokube.Bootstrap.Render;
using Monokube.CommandLine;

namespace Monokube.Commands;

internal sealed class RenderCommand : ICommand
{
    public string Name => "render";

    public string Summary => "Render the cluster's certificates, kubeconfigs and self-hosted control-plane manifests";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        var flags = new FlagSet(Name, "monokube render --asset-dir DIR [flags]", """
            Render what a self-hosted cluster needs into DIR: tls/ (CAs for 10 years, leaf certificates and the
            service-account key), auth/ (admin, controller-manager and scheduler kubeconfigs, the bootstrap kubelet's
            kubeconfig with a fresh bootstrap token), manifests/ (the control plane monokube start creates) and
            bootstrap/ (the bootstrap kubelet's unit and configuration, a cloud-init example).
            """);
        var assetDir = flags.String("asset-dir", "", "The directory to render into (required)");
        var apiServers = flags.StringList("api-servers", "The cluster's apiserver URLs (default https://127.0.0.1:6443); the first is used in kubeconfigs, every host is a SAN");
        var etcdServers = flags.StringList("etcd-servers", "etcd client URLs the managed kube-apiserver uses (default http://127.0.0.1:2379)");
        var etcdCa = flags.String("etcd-cafile", "", "PEM CA of the etcd members, copied to tls/etcd-ca.crt");
        var etcdCert = flags.String("etcd-certfile", "", "PEM etcd client certificate, copied to tls/etcd-client.crt");
        var etcdKey = flags.String("etcd-keyfile", "", "PEM key of --etcd-certfile, copied to tls/etcd-client.key");
        var bindAddress = flags.String("bind-address", "0.0.0.0", "The address the managed kube-apiserver listens on (127.0.0.1 keeps a cluster on one machine off the network)");
        var serviceCidr = flags.String("service-cidr", "10.96.0.0/12", "The service IP range; its first address is the kubernetes Service's, its tenth the DNS Service's");
        var podCidr = flags.String("pod-cidr", "10.244.0.0/16", "The pod IP range (kube-controller-manager --cluster-cidr, kube-proxy clusterCIDR)");
        var clusterDomain = flags.String("cluster-domain", "cluster.local", "The cluster's DNS domain");
        var version = flags.String("kubernetes-version", "v1.33.0", "The Kubernetes version of the control-plane images");
        var repository = flags.String("image-repository", "registry.k8s.io", "Where the control-plane images come from");
        var kubeletImage = flags.String("kubelet-image", "", "The managed kubelet DaemonSet's image (default <image-repository>/kubelet:<kubernetes-version>; Kubernetes publishes none, so build or name one)");
        var masters = flags.Int("master-count", 1, "Masters in the cluster; kube-controller-manager and kube-scheduler run max(2, this) replicas");
        var leafLifetime = flags.Duration("certificate-lifetime", TimeSpan.FromDays(365), "How long leaf certificates (and certificates signed for kubelets) are valid");
        var tokenTtl = flags.Duration("bootstrap-token-ttl", TimeSpan.FromHours(24), "How long the bootstrap token authenticates");
        var force = flags.Bool("force", false, "Render into a directory that has files; the CAs and the service-account key there are kept");
        var rotate = flags.Bool("rotate-certs", false, "Re-issue the leaf certificates from the CAs already in --asset-dir, and rewrite the kubeconfigs and manifests that carry them");

        var positional = Cli.ParseFlags(flags, args, context);
        if (positional is null)
        {
            return 0;
        }

        if (positional.Count > 0)
        {
            throw new CommandLineException($"unexpected argument \"{positional[0]}\"");
        }

        if (assetDir.Value.Length == 0)
        {
            throw new CommandLineException("--asset-dir is required");
        }

        var options = new RenderOptions
        {
            AssetDir = assetDir.Value,
            ApiServers = apiServers.Value.Count == 0 ? [new Uri("https://127.0.0.1:6443")] : [.. apiServers.Value.Select(u => ParseUrl(u, "--api-servers"))],
            EtcdServers = etcdServers.Value.Count == 0 ? [new Uri("http://127.0.0.1:2379")] : [.. etcdServers.Value.Select(u => ParseUrl(u, "--etcd-servers"))],
            EtcdCaFile = NullIfEmpty(etcdCa.Value),
            EtcdCertFile = NullIfEmpty(etcdCert.Value),
            EtcdKeyFile = NullIfEmpty(etcdKey.Value),
            BindAddress = System.Net.IPAddress.TryParse(bindAddress.Value, out _) ? bindAddress.Value : throw new CommandLineException($"invalid --bind-address \"{bindAddress.Value}\": an IP address is required"),
            ServiceCidr = serviceCidr.Value,
            PodCidr = podCidr.Value,
            ClusterDomain = clusterDomain.Value,
            KubernetesVersion = version.Value,
            ImageRepository = repository.Value,
            KubeletImage = NullIfEmpty(kubeletImage.Value),
            MasterCount = masters.Value,
            LeafLifetime = leafLifetime.Value,
            BootstrapTokenTtl = tokenTtl.Value,
            Force = force.Value,
            RotateCerts = rotate.Value,
        };

        try
        {
            var written = await new AssetRenderer(options, TimeProvider.System).RenderAsync(cancellationToken);
            await context.Out.WriteLineAsync($"monokube render: wrote {written.Count} files into {options.AssetDir}" + (rotate.Value ? " (certificates re-issued from the same CAs)" : ""));
            return 0;
        }
        catch (RenderException e)
        {
            await context.Error.WriteLineAsync("Error: " + e.Message);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            await context.Error.WriteLineAsync("Error: " + e.Message);
            return 1;
        }
    }

    private static Uri ParseUrl(string text, string flag) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : throw new CommandLineException($"invalid {flag} \"{text}\": not an http(s) URL");

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
