using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer;
using Monokube.ApiServer.Admission;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Kubelet;
using Monokube.CommandLine;
using Monokube.Controllers;
using Monokube.Storage;
using Monokube.Storage.Etcd;
using Monokube.Storage.Memory;

namespace Monokube.Commands;

internal sealed class ServeCommand : ICommand
{
    public string Name => "serve";

    public string Summary => "Serve the Kubernetes API (in-memory storage, or the cluster's etcd)";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        var flags = new FlagSet(Name, "monokube serve [flags]", """
            Serve a Kubernetes-compatible API. Storage is in memory by default; --etcd-servers stores objects in etcd
            in kube-apiserver's own layout, so a kube-apiserver pointed at the same etcd sees the same objects.
            Flag names are kube-apiserver's where they mean the same.
            """);
        var bindAddress = flags.String("bind-address", "0.0.0.0", "The IP address to listen on (127.0.0.1 with --insecure-http)");
        var port = flags.Int("secure-port", 6443, "The port to serve on; 0 picks a free port (the URL is printed)");
        var insecureHttp = flags.Bool("insecure-http", false, "Serve plain HTTP, without TLS, authentication or authorization, on a loopback address only (for tests)");
        var tlsCert = flags.String("tls-cert-file", "", "PEM serving certificate; without it a CA and a serving certificate are generated into --cert-dir");
        var tlsKey = flags.String("tls-private-key-file", "", "PEM private key of --tls-cert-file");
        var certDir = flags.String("cert-dir", ".monokube/certs", "Where generated certificates and keys are written, and reused from on the next start");
        var clientCa = flags.String("client-ca-file", "", "PEM CAs whose client certificates authenticate (CN = user, O = groups); default: the generated CA");
        var advertise = flags.String("advertise-address", "", "An address clients use to reach the server, added to the serving certificate");
        var tokenFile = flags.String("token-auth-file", "", "Static bearer tokens, one per line: token,user,uid,\"group1,group2\"");
        var bootstrapTokens = flags.Bool("enable-bootstrap-token-auth", false, "Authenticate bootstrap tokens from kube-system/bootstrap-token-<id> Secrets");
        var saSigningKey = flags.String("service-account-signing-key-file", "", "PEM private key that signs service-account tokens; default: generated into --cert-dir");
        var saKeys = flags.StringList("service-account-key-file", "PEM keys that verify service-account tokens (repeatable); default: the signing key");
        var saIssuer = flags.String("service-account-issuer", "https://kubernetes.default.svc.cluster.local", "The issuer (iss) of service-account tokens");
        var audiences = flags.StringList("api-audiences", "Audiences a token must have; default: the service-account issuer");
        var anonymous = flags.Bool("anonymous-auth", true, "Let requests without credentials in as system:anonymous (RBAC decides what they may do)");
        var authzModes = flags.StringList("authorization-mode", "Authorizers in order: Node, RBAC, AlwaysAllow (default Node,RBAC)");
        var storage = flags.Choice("storage", "memory", "Where objects live: memory (embedded) or etcd (implied by --etcd-servers)", "memory", "etcd");
        var etcdServers = flags.StringList("etcd-servers", "etcd client URLs, comma separated (http://127.0.0.1:2379)");
        var etcdPrefix = flags.String("etcd-prefix", "/registry", "The prefix of every key in etcd");
        var etcdCa = flags.String("etcd-cafile", "", "PEM CA bundle that verifies the etcd members' certificates");
        var etcdCert = flags.String("etcd-certfile", "", "PEM client certificate for etcd");
        var etcdKey = flags.String("etcd-keyfile", "", "PEM private key of --etcd-certfile");
        var history = flags.Int("memory-history-revisions", 10_000, "Revisions of history the memory store keeps for watches and paged lists");
        var serviceRange = flags.String("service-cluster-ip-range", "10.0.0.0/24", "The IPv4 CIDR Service cluster IPs are allocated from (its first address is the kubernetes Service's)");
        var nodePortRange = flags.String("service-node-port-range", "30000-32767", "The port range NodePort Services are allocated from");
        var controllers = flags.StringList("controllers", "Built-in controllers to run: names (or their aliases), * for every one not off by default, -name to leave one out, none for none (default *). Names: "
            + string.Join(", ", EmbeddedControllers.Names) + ". Off by default: " + string.Join(", ", BuiltinControllers.DisabledByDefault));
        var leaderElect = flags.Bool("leader-elect", true, "Run the controllers and the scheduler only while holding the Leases kube-system/kube-controller-manager and kube-system/kube-scheduler");
        var signingCert = flags.String("cluster-signing-cert-file", "", "PEM CA certificate that signs approved kubelet and client CSRs; default: the generated CA");
        var signingKey = flags.String("cluster-signing-key-file", "", "PEM private key of --cluster-signing-cert-file");
        var signingDuration = flags.Duration("cluster-signing-duration", TimeSpan.FromDays(365), "The longest certificate the CSR signer issues");
        var requestTimeout = flags.Duration("request-timeout", TimeSpan.FromMinutes(1), "How long a non-watch request may take before it gets a 504 Timeout");
        var emulatedVersion = flags.String("emulated-version", KubernetesRelease.Default.Name, "The Kubernetes release whose API to serve, as kube-apiserver's flag (1.26 or 1.33, also as kube=1.26): /version, discovery, the default RBAC policy and the authorization and admission rules that changed between them");
        var portSharing = flags.Bool("permit-port-sharing", false, "Set SO_REUSEPORT on the listening socket, so other servers (a kube-apiserver) can share the port");
        var maxWatches = flags.Int("max-watches-per-client", 10_000, "Watches one client (user; address with --insecure-http) may hold open; more get 429");
        var allowPrivileged = flags.Bool("allow-privileged", true, "Let pods and pod templates have privileged containers (securityContext.privileged); with =false they are refused with 422, as kube-apiserver does (whose default is false)");
        var enablePlugins = flags.StringList("enable-admission-plugins", "Admission plugins to enable besides the defaults. monokube enforces " + string.Join(", ", AdmissionPlugins.Implemented) + " (all on by default); other kube-apiserver plugin names are refused");
        var disablePlugins = flags.StringList("disable-admission-plugins", "Admission plugins to turn off (of " + string.Join(", ", AdmissionPlugins.Implemented) + "; kube-apiserver's other plugins are off in monokube anyway)");
        var kubeletCert = flags.String("kubelet-client-certificate", "", "PEM client certificate presented to kubelets (pods/log); without it kubelets are dialled without one");
        var kubeletKey = flags.String("kubelet-client-key", "", "PEM private key of --kubelet-client-certificate");
        var kubeletAddressTypes = flags.StringList("kubelet-preferred-address-types", "Which node address to dial a kubelet on, first match wins (default InternalIP,Hostname,InternalDNS,ExternalDNS,ExternalIP)");
        var proxyClientCert = flags.String("proxy-client-cert-file", "", "PEM client certificate for aggregated API servers; monokube serves no aggregated APIs, so it is only loaded and checked");
        var proxyClientKey = flags.String("proxy-client-key-file", "", "PEM private key of --proxy-client-cert-file (only loaded and checked)");
        var requestHeaderCa = flags.String("requestheader-client-ca-file", "", "PEM CAs of front proxies: a client certificate they signed may name the user in the --requestheader-*-headers");
        var requestHeaderNames = flags.StringList("requestheader-allowed-names", "Common names a front proxy's certificate may have; empty allows any the request-header CA signed");
        var requestHeaderUsers = flags.StringList("requestheader-username-headers", "Request headers holding the user name, the first non-empty one wins (X-Remote-User is common)");
        var requestHeaderGroups = flags.StringList("requestheader-group-headers", "Request headers holding the user's groups (X-Remote-Group is common)");
        var requestHeaderExtra = flags.StringList("requestheader-extra-headers-prefix", "Request header prefixes of the user's extra: <prefix><key>: <value> (X-Remote-Extra- is common)");
        var storageMediaType = flags.String("storage-media-type", "application/json", "The media type objects are stored in; monokube stores JSON only (kube-apiserver also reads it)");
        var kubeconfig = flags.String("write-kubeconfig", "", "Write a kubeconfig for this server to this path once it serves");
        var verbosity = flags.Int("v", 0, "Log verbosity: 0 info, 4 debug, 6 trace");

        var positional = Cli.ParseFlags(flags, args, context);
        if (positional is null)
        {
            return 0;
        }

        if (positional.Count > 0)
        {
            throw new CommandLineException($"unexpected argument \"{positional[0]}\"");
        }

        if (!IPAddress.TryParse(bindAddress.Value, out var address))
        {
            throw new CommandLineException($"invalid --bind-address \"{bindAddress.Value}\": not an IP address");
        }

        if (insecureHttp.Value && !bindAddress.Changed)
        {
            address = IPAddress.Loopback;
        }

        if (insecureHttp.Value && !IPAddress.IsLoopback(address))
        {
            throw new CommandLineException($"--insecure-http serves only on a loopback address, not {address}");
        }

        var modes = authzModes.Value.Count > 0 ? authzModes.Value : ["Node", "RBAC"];
        if (modes.FirstOrDefault(m => m is not ("Node" or "RBAC" or "AlwaysAllow")) is { } unknownMode)
        {
            throw new CommandLineException($"unsupported --authorization-mode \"{unknownMode}\": Node, RBAC and AlwaysAllow are supported");
        }

        var emulated = emulatedVersion.Value.StartsWith("kube=", StringComparison.Ordinal) ? emulatedVersion.Value[5..] : emulatedVersion.Value;
        var release = KubernetesRelease.Parse(emulated)
            ?? throw new CommandLineException($"unsupported --emulated-version \"{emulatedVersion.Value}\": monokube serves {string.Join(" and ", KubernetesRelease.Supported)}");

        var useEtcd = etcdServers.Value.Count > 0;
        if (storage.Changed && storage.Value == "memory" && useEtcd)
        {
            throw new CommandLineException("--storage=memory and --etcd-servers contradict each other");
        }

        if (storage.Value == "etcd" && !useEtcd)
        {
            throw new CommandLineException("--storage=etcd needs --etcd-servers");
        }

        if (tlsCert.Value.Length > 0 != tlsKey.Value.Length > 0)
        {
            throw new CommandLineException("--tls-cert-file and --tls-private-key-file go together");
        }

        if (tlsCert.Value.Length > 0 && kubeconfig.Value.Length > 0)
        {
            throw new CommandLineException("--write-kubeconfig needs the CA monokube generates, to sign the admin's client certificate; it cannot be used with --tls-cert-file");
        }

        if (insecureHttp.Value && (tlsCert.Value.Length > 0 || clientCa.Value.Length > 0 || tokenFile.Value.Length > 0))
        {
            throw new CommandLineException("--insecure-http serves without TLS or authentication; it cannot be combined with --tls-cert-file, --client-ca-file or --token-auth-file");
        }

        var enabledControllers = controllers.Value.Count == 0 ? ["*"] : controllers.Value;
        if (enabledControllers.FirstOrDefault(c => c is not ("*" or "none") && c.TrimStart('-') != EmbeddedControllers.SchedulerName && BuiltinControllers.Canonical(c.TrimStart('-')) is null) is { } unknownController)
        {
            throw new CommandLineException($"unknown controller \"{unknownController}\" in --controllers; known: {string.Join(", ", EmbeddedControllers.Names)}");
        }

        if (signingCert.Value.Length > 0 != signingKey.Value.Length > 0)
        {
            throw new CommandLineException("--cluster-signing-cert-file and --cluster-signing-key-file go together");
        }

        if (requestTimeout.Value <= TimeSpan.Zero)
        {
            throw new CommandLineException("--request-timeout must be positive");
        }

        if (maxWatches.Value < 1)
        {
            throw new CommandLineException("--max-watches-per-client must be at least 1");
        }

        if (history.Value < 1)
        {
            throw new CommandLineException("--memory-history-revisions must be at least 1");
        }

        if (storageMediaType.Value != "application/json")
        {
            throw new CommandLineException($"--storage-media-type \"{storageMediaType.Value}\" is not supported: monokube stores objects as JSON only (application/json), which kube-apiserver reads too");
        }

        IReadOnlySet<string> admissionPlugins;
        try
        {
            admissionPlugins = AdmissionPlugins.Resolve(enablePlugins.Value, disablePlugins.Value);
        }
        catch (FormatException e)
        {
            throw new CommandLineException(e.Message);
        }

        var kubeletOptions = new KubeletClientOptions
        {
            CertificateFile = NullIfEmpty(kubeletCert.Value),
            KeyFile = NullIfEmpty(kubeletKey.Value),
            PreferredAddressTypes = kubeletAddressTypes.Value.Count > 0 ? kubeletAddressTypes.Value : KubeletClientOptions.DefaultPreferredAddressTypes,
        };
        try
        {
            kubeletOptions.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CommandLineException(e.Message);
        }

        if (proxyClientCert.Value.Length > 0 != proxyClientKey.Value.Length > 0)
        {
            throw new CommandLineException("--proxy-client-cert-file and --proxy-client-key-file go together");
        }

        if (insecureHttp.Value && requestHeaderCa.Value.Length > 0)
        {
            throw new CommandLineException("--insecure-http serves without TLS or authentication; it cannot be combined with --requestheader-client-ca-file");
        }

        ApiServer.Services.ServiceIpRange ipRange;
        try
        {
            ipRange = ApiServer.Services.ServiceIpRange.Parse(serviceRange.Value);
        }
        catch (FormatException e)
        {
            throw new CommandLineException("invalid --service-cluster-ip-range: " + e.Message);
        }

        var portBounds = nodePortRange.Value.Split('-');
        if (portBounds.Length != 2 || !int.TryParse(portBounds[0], out var firstPort) || !int.TryParse(portBounds[1], out var lastPort) || firstPort < 1 || lastPort > 65535 || firstPort > lastPort)
        {
            throw new CommandLineException($"invalid --service-node-port-range \"{nodePortRange.Value}\": expected FIRST-LAST, such as 30000-32767");
        }

        var options = new ApiServerOptions
        {
            BindAddress = address,
            Port = port.Value,
            Release = release,
            InsecureHttp = insecureHttp.Value,
            RequestTimeout = requestTimeout.Value,
            PermitPortSharing = portSharing.Value,
            Watch = new WatchOptions { MaxPerClient = maxWatches.Value },
            ServiceClusterIpRange = ipRange,
            ServiceNodePortRange = (firstPort, lastPort),
            AllowPrivileged = allowPrivileged.Value,
            AdmissionPlugins = admissionPlugins,
            Kubelet = kubeletOptions,
            Security = new ApiServer.Security.SecurityOptions
            {
                TlsCertFile = NullIfEmpty(tlsCert.Value),
                TlsPrivateKeyFile = NullIfEmpty(tlsKey.Value),
                CertDir = certDir.Value,
                ClientCaFile = NullIfEmpty(clientCa.Value),
                RequestHeader = new ApiServer.Security.RequestHeaderOptions
                {
                    ClientCaFile = NullIfEmpty(requestHeaderCa.Value),
                    AllowedNames = requestHeaderNames.Value,
                    UsernameHeaders = requestHeaderUsers.Value,
                    GroupHeaders = requestHeaderGroups.Value,
                    ExtraHeaderPrefixes = requestHeaderExtra.Value,
                },
                AdvertiseAddress = NullIfEmpty(advertise.Value),
                TokenAuthFile = NullIfEmpty(tokenFile.Value),
                EnableBootstrapTokenAuth = bootstrapTokens.Value,
                ServiceAccountSigningKeyFile = NullIfEmpty(saSigningKey.Value),
                ServiceAccountKeyFiles = saKeys.Value,
                ServiceAccountIssuer = saIssuer.Value,
                ApiAudiences = audiences.Value,
                AnonymousAuth = anonymous.Value,
                AuthorizationModes = modes,
            },
        };
        if (proxyClientCert.Value.Length > 0)
        {
            try
            {
                CheckProxyClientCertificate(proxyClientCert.Value, proxyClientKey.Value);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
            {
                await context.Error.WriteLineAsync($"Error: --proxy-client-cert-file: {e.Message}");
                return 1;
            }
        }

        var startPause = new StartupGcPause();
        using var loggerFactory = Logging.CreateFactory(verbosity.Value);
        await using var store = CreateStore(useEtcd, etcdServers.Value, etcdPrefix.Value, etcdCa.Value, etcdCert.Value, etcdKey.Value, history.Value, loggerFactory);

        ApiServer.Hosting.ApiServer server;
        try
        {
            server = await ApiServer.Hosting.ApiServer.StartAsync(options, store, loggerFactory, cancellationToken);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            await context.Error.WriteLineAsync($"Error: cannot listen on {address}:{port.Value}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or FormatException or UnauthorizedAccessException)
        {
            await context.Error.WriteLineAsync($"Error: {e.Message}");
            return 1;
        }

        await using (server)
        {
            if (kubeconfig.Value.Length > 0)
            {
                await server.WriteAdminKubeconfigAsync(kubeconfig.Value, cancellationToken);
            }

            await using var embedded = enabledControllers.Contains("none")
                ? null
                : EmbeddedControllers.Start(server, ControllerOptionsFor(server, enabledControllers, signingCert.Value, signingKey.Value, signingDuration.Value), leaderElect.Value, TimeProvider.System, loggerFactory);
            using var heapRelease = new IdleHeapRelease(TimeProvider.System, loggerFactory.CreateLogger("Monokube.Memory"), afterStart: true);
            await context.Out.WriteLineAsync($"monokube: serving the Kubernetes API on {server.Url.ToString().TrimEnd('/')} (storage: {store.Name})");
            await context.Out.FlushAsync(CancellationToken.None);
            startPause.Dispose();
            // On SIGTERM the controllers stop first (releasing their Leases through the API), then the server.
            await Task.WhenAny(server.WaitForShutdownAsync(CancellationToken.None), Task.Delay(Timeout.Infinite, cancellationToken));
        }

        return 0;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    // monokube has no aggregated APIs to present the front-proxy client certificate to: it is only checked to be a
    // usable client certificate with its key, so a broken one fails here as it would fail kube-apiserver.
    private static void CheckProxyClientCertificate(string certFile, string keyFile)
    {
        using var certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        if (certificate.NotAfter < DateTime.Now)
        {
            throw new System.Security.Cryptography.CryptographicException($"{certFile} expired on {certificate.NotAfter:u}");
        }

        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usages
            && !usages.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(o => o.Value == "1.3.6.1.5.5.7.3.2"))
        {
            throw new System.Security.Cryptography.CryptographicException($"{certFile} is not a client certificate (no clientAuth usage)");
        }
    }

    private static ControllerOptions ControllerOptionsFor(ApiServer.Hosting.ApiServer server, IReadOnlyList<string> enabled, string signingCert, string signingKey, TimeSpan signingDuration)
    {
        var generated = server.Security.Pki?.GeneratedCa?.Certificate;
        var signer = signingCert.Length > 0 ? X509Certificate2.CreateFromPemFile(signingCert, signingKey) : generated;
        return new ControllerOptions
        {
            Enabled = enabled,
            SigningCertificate = signer,
            SigningDuration = signingDuration,
            RootCaPem = generated is null ? null : generated.ExportCertificatePem() + "\n",

            // The server's own key signs legacy service-account token Secrets, so it verifies them too.
            ServiceAccountPrivateKey = server.Security.Pki?.ServiceAccountSigningKey,
        };
    }

    internal static IObjectStore CreateStore(bool useEtcd, IReadOnlyList<string> servers, string prefix, string ca, string cert, string key, int history, ILoggerFactory loggerFactory)
    {
        if (!useEtcd)
        {
            return new MemoryObjectStore(new MemoryStoreOptions { HistoryLimit = history });
        }

        IReadOnlyList<Uri> endpoints;
        try
        {
            endpoints = EtcdOptions.ParseEndpoints(string.Join(',', servers));
        }
        catch (FormatException e)
        {
            throw new CommandLineException("invalid --etcd-servers: " + e.Message);
        }

        if (!prefix.StartsWith('/'))
        {
            throw new CommandLineException("--etcd-prefix must start with '/'");
        }

        return new EtcdObjectStore(
            new EtcdOptions
            {
                Endpoints = endpoints,
                Prefix = prefix,
                CaFile = ca.Length > 0 ? ca : null,
                CertFile = cert.Length > 0 ? cert : null,
                KeyFile = key.Length > 0 ? key : null,
            },
            loggerFactory);
    }
}
