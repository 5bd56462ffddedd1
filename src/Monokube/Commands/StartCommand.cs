using System.Net;
using System.Security.Cryptography.X509Certificates;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Kubelet;
using Monokube.ApiServer.Security;
using Monokube.ApiServer.Security.Pki;
using Monokube.ApiServer.Services;
using Monokube.Bootstrap.Start;
using Monokube.CommandLine;
using Monokube.Controllers;
using Monokube.Controllers.Client;

namespace Monokube.Commands;

internal sealed class StartCommand : ICommand
{
    public string Name => "start";

    public string Summary => "Bootstrap a self-hosted control plane from rendered assets and hand the apiserver port over";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        var flags = new FlagSet(Name, "monokube start --asset-dir DIR --etcd-servers URLS [flags]", """
            The pivot. Serve the API on the cluster's address (the rendered kube-apiserver's port, SO_REUSEPORT) from the
            cluster's etcd with the rendered certificates and the built-in controllers; create the rendered manifests;
            wait until the required pods run and every node is Ready; then stop the controllers (releasing their
            Leases), close the listener, and exit 0 once the address answers /readyz without monokube. If it does
            not, serve again and keep waiting; after --timeout, exit 1 saying what each failing component is stuck on.
            """);
        var assetDir = flags.String("asset-dir", "", "The directory monokube render wrote (required)");
        var etcdServers = flags.StringList("etcd-servers", "The cluster's etcd client URLs (required)");
        var etcdPrefix = flags.String("etcd-prefix", "/registry", "The prefix of every key in etcd");
        var etcdCa = flags.String("etcd-cafile", "", "PEM CA bundle of the etcd members");
        var etcdCert = flags.String("etcd-certfile", "", "PEM client certificate for etcd");
        var etcdKey = flags.String("etcd-keyfile", "", "PEM key of --etcd-certfile");
        var bindAddress = flags.String("bind-address", "", "The IP address to listen on (default: the rendered kube-apiserver's --bind-address; the port is its --secure-port)");
        var required = flags.StringList("required-pods", "Pods (namespace/name-prefix) that must be Running and Ready before the handover (default kube-system/kube-apiserver, kube-controller-manager, kube-scheduler, kubelet)");
        var timeout = flags.Duration("timeout", TimeSpan.FromMinutes(20), "How long the pivot may take before start exits 1 with a diagnosis");
        var handoverTimeout = flags.Duration("handover-timeout", TimeSpan.FromSeconds(60), "How long the address may stay silent after monokube lets go of it before monokube serves again");
        var verbosity = flags.Int("v", 0, "Log verbosity of the server: 0 info, 4 debug, 6 trace");

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

        if (etcdServers.Value.Count == 0)
        {
            throw new CommandLineException("--etcd-servers is required: the managed kube-apiserver must find what monokube stored");
        }

        IPAddress? address = null;
        if (bindAddress.Value.Length > 0 && !IPAddress.TryParse(bindAddress.Value, out address))
        {
            throw new CommandLineException($"invalid --bind-address \"{bindAddress.Value}\": not an IP address");
        }

        RenderedAssets assets;
        KubeClientOptions admin;
        ApiServerOptions serverOptions;
        X509Certificate2 signer;
        string rootCa;
        try
        {
            assets = RenderedAssets.Load(assetDir.Value);
            admin = KubeconfigFile.Load(assets.Path("auth", "admin.kubeconfig"), "monokube/start");
            var port = int.Parse(assets.ApiserverFlags.GetValueOrDefault("secure-port", admin.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture);
            serverOptions = new ApiServerOptions
            {
                BindAddress = address ?? IPAddress.Parse(assets.ApiserverFlags.GetValueOrDefault("bind-address", "0.0.0.0")),
                Port = port,
                PermitPortSharing = true,

                // The managed kube-apiserver on this host holds the identity Lease of this host's name.
                PublishIdentityLease = false,

                // The rendered kubelet and kube-proxy DaemonSets run privileged, as the rendered kube-apiserver allows
                // (the default, said here because start depends on it).
                AllowPrivileged = true,
                Kubelet = new KubeletClientOptions
                {
                    // pods/log during the bootstrap, as the managed kube-apiserver will dial kubelets.
                    CertificateFile = File.Exists(assets.Path("tls", "apiserver-kubelet-client.key")) ? assets.Path("tls", "apiserver-kubelet-client.crt") : null,
                    KeyFile = File.Exists(assets.Path("tls", "apiserver-kubelet-client.key")) ? assets.Path("tls", "apiserver-kubelet-client.key") : null,
                    PreferredAddressTypes = assets.ApiserverFlags.TryGetValue("kubelet-preferred-address-types", out var types)
                        ? types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        : KubeletClientOptions.DefaultPreferredAddressTypes,
                },
                ServiceClusterIpRange = ServiceIpRange.Parse(assets.ApiserverFlags.GetValueOrDefault("service-cluster-ip-range", "10.96.0.0/12")),
                Security = new SecurityOptions
                {
                    TlsCertFile = assets.Path("tls", "apiserver.crt"),
                    TlsPrivateKeyFile = assets.Path("tls", "apiserver.key"),
                    ClientCaFile = assets.Path("tls", "ca.crt"),
                    CertDir = assets.Path("monokube"),
                    AdvertiseAddress = IPAddress.TryParse(admin.Server.Host, out _) ? admin.Server.Host : null,
                    EnableBootstrapTokenAuth = true,
                    ServiceAccountSigningKeyFile = assets.Path("tls", "service-account.key"),
                    ServiceAccountKeyFiles = [assets.Path("tls", "service-account.pub")],
                    ServiceAccountIssuer = assets.ApiserverFlags.GetValueOrDefault("service-account-issuer", "https://kubernetes.default.svc.cluster.local"),
                },
            };
            signer = CertificateAuthority.Load(assets.Path("tls", "ca.crt"), assets.Path("tls", "ca.key")).Certificate;
            rootCa = await File.ReadAllTextAsync(assets.Path("tls", "ca.crt"), cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or YamlDotNet.Core.YamlException)
        {
            await context.Error.WriteLineAsync("Error: " + e.Message);
            return 1;
        }

        var options = new StartOptions
        {
            RequiredPods = required.Value.Count > 0 ? required.Value : new StartOptions().RequiredPods,
            Timeout = timeout.Value,
            HandoverTimeout = handoverTimeout.Value,
        };
        using var loggers = Logging.CreateFactory(verbosity.Value);
        await using var store = ServeCommand.CreateStore(true, etcdServers.Value, etcdPrefix.Value, etcdCa.Value, etcdCert.Value, etcdKey.Value, 10_000, loggers);
        await using var plane = new BootstrapControlPlane(serverOptions, store, _ => new ControllerOptions { SigningCertificate = signer, RootCaPem = rootCa }, loggers);
        try
        {
            await plane.StartAsync(cancellationToken);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            await context.Error.WriteLineAsync($"Error: cannot listen on {address}:{serverOptions.Port}: {e.Message}");
            return 1;
        }

        await context.Out.WriteLineAsync($"monokube start: serving the Kubernetes API on {plane.Url?.ToString().TrimEnd('/')} for {admin.Server.ToString().TrimEnd('/')} (storage: etcd), creating {assets.Objects.Count} objects from {assets.Directory}");
        using var client = new KubeClient(admin);
        var live = ProgressBoard.IsTerminal && ReferenceEquals(context.Out, Console.Out);
        var board = new ProgressBoard(context.Out, live, TimeProvider.System, live && Console.WindowWidth > 0 ? Math.Max(40, Console.WindowWidth) : 120);
        var pivot = new Pivot(assets, options, plane, client, admin.Server, TimeProvider.System, board);
        return await pivot.RunAsync(cancellationToken);
    }
}
