using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Kubelet;
using Monokube.ApiServer.Security;
using Monokube.Storage.Memory;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests;

/// <summary>
/// monokube serving HTTPS as a user starts it: a CA and serving certificate generated into a cert dir, the admin
/// kubeconfig written by the server, a static token file and bootstrap tokens enabled, Node and RBAC authorization,
/// request-header authentication of a front proxy (a front-proxy CA made here, allowed name "front-proxy-client",
/// X-Remote-User / X-Remote-Group / X-Remote-Extra-), and a kubelet client certificate (from a CA made here) for
/// pods/log. In process, or the native binary when $MONOKUBE_BIN is set. Tests make kubeconfigs for other identities
/// with the helpers (client certificates signed by the generated CA, bearer tokens, none).
/// </summary>
public sealed class SecureApiServerFixture : IAsyncLifetime
{
    /// <summary>The static token file: token, user, uid, groups.</summary>
    public const string StaticToken = "static-token-0123456789";

    // admin, edit and view grant what the aggregation controller writes into them, and pods need their namespace's
    // default ServiceAccount, as with kube-apiserver and its controller-manager.
    private const string AggregationController = "clusterrole-aggregation-controller";
    private const string ServiceAccounts = "serviceaccount-controller";

    private readonly TempDirectory _dir = new();
    private Controllers.EmbeddedControllers? _controllers;
    private Hosting.ApiServer? _server;
    private MonokubeProcess? _process;

    public string Url { get; private set; } = "";

    public string AdminKubeconfig => _dir.File("admin.kubeconfig");

    public string CertDir => _dir.File("certs");

    /// <summary>The common name the server accepts from a front proxy.</summary>
    public const string FrontProxyName = "front-proxy-client";

    /// <summary>The common name of the client certificate the server presents to kubelets.</summary>
    public const string KubeletClientName = "kube-apiserver-kubelet-client";

    public string CaPem => File.ReadAllText(Path.Combine(CertDir, "ca.crt"));

    /// <summary>The CA of --requestheader-client-ca-file, with its key, to issue front-proxy certificates from.</summary>
    public X509Certificate2 FrontProxyCa { get; } = CreateCa("front-proxy-ca");

    public async ValueTask InitializeAsync()
    {
        var tokens = _dir.File("tokens.csv");
        await File.WriteAllTextAsync(tokens, $"{StaticToken},token-user,uid-42,\"group-a,group-b\"\n");
        var frontProxyCa = _dir.File("front-proxy-ca.crt");
        await File.WriteAllTextAsync(frontProxyCa, FrontProxyCa.ExportCertificatePem());
        var (kubeletCert, kubeletKey) = (_dir.File("kubelet-client.crt"), _dir.File("kubelet-client.key"));
        using (var kubeletCa = CreateCa("kubelet-client-ca"))
        {
            var (cert, key) = IssueClientCertificate(kubeletCa, KubeletClientName, "system:masters");
            await File.WriteAllTextAsync(kubeletCert, cert);
            await File.WriteAllTextAsync(kubeletKey, key);
        }

        if (Environment.GetEnvironmentVariable("MONOKUBE_BIN") is { Length: > 0 })
        {
            _process = await MonokubeProcess.ServeAsync(
                "--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", CertDir, "--token-auth-file", tokens,
                "--enable-bootstrap-token-auth", "--write-kubeconfig", AdminKubeconfig, "--controllers=" + AggregationController + "," + ServiceAccounts, "--leader-elect=false",
                "--requestheader-client-ca-file", frontProxyCa, "--requestheader-allowed-names", FrontProxyName,
                "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
                "--requestheader-extra-headers-prefix=X-Remote-Extra-",
                "--kubelet-client-certificate", kubeletCert, "--kubelet-client-key", kubeletKey);
            Url = _process.Url;
        }
        else
        {
            var options = new ApiServerOptions
            {
                BindAddress = IPAddress.Loopback,
                Port = 0,
                Kubelet = new KubeletClientOptions { CertificateFile = kubeletCert, KeyFile = kubeletKey },
                Security = new SecurityOptions
                {
                    CertDir = CertDir,
                    TokenAuthFile = tokens,
                    EnableBootstrapTokenAuth = true,
                    RequestHeader = new RequestHeaderOptions
                    {
                        ClientCaFile = frontProxyCa,
                        AllowedNames = [FrontProxyName],
                        UsernameHeaders = ["X-Remote-User"],
                        GroupHeaders = ["X-Remote-Group"],
                        ExtraHeaderPrefixes = ["X-Remote-Extra-"],
                    },
                },
            };
            _server = await Hosting.ApiServer.StartAsync(options, new MemoryObjectStore());
            _controllers = Controllers.EmbeddedControllers.Start(_server, new Controllers.ControllerOptions { Enabled = [AggregationController, ServiceAccounts] }, leaderElect: false, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            await _server.WriteAdminKubeconfigAsync(AdminKubeconfig, CancellationToken.None);
            Url = _server.Url.ToString().TrimEnd('/');
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_controllers is not null)
        {
            await _controllers.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_process is not null)
        {
            await _process.TerminateAsync();
            await _process.DisposeAsync();
        }

        FrontProxyCa.Dispose();
        _dir.Dispose();
    }

    public string NewNamespace() => "t-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A client certificate signed by the server's CA: CN = user, O = groups.</summary>
    public (string CertPem, string KeyPem) IssueClientCertificate(string user, params string[] groups)
    {
        using var ca = X509Certificate2.CreateFromPemFile(Path.Combine(CertDir, "ca.crt"), Path.Combine(CertDir, "ca.key"));
        return IssueClientCertificate(ca, user, groups);
    }

    /// <summary>A client certificate signed by any CA (a foreign one, for refusal tests).</summary>
    public static (string CertPem, string KeyPem) IssueClientCertificate(X509Certificate2 ca, string user, params string[] groups)
    {
        using var key = RSA.Create(2048);
        var subject = string.Join(", ", groups.Select(g => "O=" + g).Prepend("CN=" + user));
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>A self-signed CA that the server does not trust.</summary>
    public static X509Certificate2 CreateForeignCa() => CreateCa("foreign-ca");

    /// <summary>A self-signed CA with its key.</summary>
    public static X509Certificate2 CreateCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
    }

    /// <summary>A kubeconfig for a client-certificate user of this server's CA.</summary>
    public string KubeconfigForUser(string user, params string[] groups)
    {
        var (cert, key) = IssueClientCertificate(user, groups);
        return WriteKubeconfig(user, $"client-certificate-data: {B64(cert)}\n    client-key-data: {B64(key)}");
    }

    public string KubeconfigForCertificate(string name, string certPem, string keyPem) =>
        WriteKubeconfig(name, $"client-certificate-data: {B64(certPem)}\n    client-key-data: {B64(keyPem)}");

    public string KubeconfigForToken(string token) => WriteKubeconfig("token", "token: " + token);

    /// <summary>An HttpClient that trusts the server's CA, with an optional client certificate or bearer token.</summary>
    public HttpClient Http(string? bearer = null, X509Certificate2? clientCertificate = null)
    {
        var ca = X509Certificate2.CreateFromPem(CaPem);
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(certificate));
                },
            },
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        var client = new HttpClient(handler) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    /// <summary>The admin client over HTTP (client certificate O=system:masters).</summary>
    public HttpClient AdminHttp()
    {
        var (cert, key) = IssueClientCertificate("test-admin", "system:masters");
        return Http(clientCertificate: X509Certificate2.CreateFromPem(cert, key));
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(string kubeconfig, params string[] args) =>
        Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, args);

    public async Task<string> KubectlOkAsync(string kubeconfig, params string[] args)
    {
        var (code, stdout, stderr) = await KubectlAsync(kubeconfig, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return stdout;
    }

    public Task<string> AdminAsync(params string[] args) => KubectlOkAsync(AdminKubeconfig, args);

    private string WriteKubeconfig(string user, string credentials)
    {
        var path = _dir.File($"{user.Replace(':', '_')}-{Guid.NewGuid().ToString("N")[..6]}.kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: monokube
              cluster:
                server: {Url}
                certificate-authority-data: {B64(CaPem)}
            users:
            - name: u
              user:
                {credentials}
            contexts:
            - name: monokube
              context:
                cluster: monokube
                user: u
            current-context: monokube
            """);
        return path;
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
