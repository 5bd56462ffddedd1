using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>"monokube serve" started as a process, as users start it, and probed with HTTP and kubectl.</summary>
public sealed class ServeTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_answers_health_and_version_on_a_port_it_picked()
    {
        await using var server = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0");

        Assert.StartsWith("http://127.0.0.1:", server.Url, StringComparison.Ordinal);
        foreach (var path in new[] { "/healthz", "/livez", "/readyz", "/healthz/ping" })
        {
            var response = await Http.GetAsync(server.Url + path, Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync(Token));
        }

        var verbose = await Http.GetStringAsync(server.Url + "/readyz?verbose", Token);
        Assert.Equal("[+]ping ok\n[+]log ok\n[+]shutdown ok\n[+]poststarthook/start-system-namespaces-controller ok\nreadyz check passed\n", verbose);
        Assert.DoesNotContain("shutdown", await Http.GetStringAsync(server.Url + "/livez?verbose", Token), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(server.Url + "/healthz/nope", Token)).StatusCode);

        var version = JsonNode.Parse(await Http.GetStringAsync(server.Url + "/version", Token))!;
        Assert.Equal("1", version["major"]!.GetValue<string>());
        Assert.Equal("33", version["minor"]!.GetValue<string>());
        Assert.StartsWith("v1.33.0+monokube.", version["gitVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("linux/amd64", version["platform"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(27)]
    [InlineData(30)]
    [InlineData(33)]
    public async Task Kubectl_uses_the_written_kubeconfig_over_https_at_once(int minor)
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("kubeconfig");
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"), "--write-kubeconfig", kubeconfig);

        Assert.StartsWith("https://127.0.0.1:", server.Url, StringComparison.Ordinal);
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(minor), kubeconfig, "version", "-o", "json");
        Assert.True(code == 0, stderr);
        var (getCode, namespaces, getErr) = await Kubectl.RunAsync(Kubectl.Find(minor), kubeconfig, "get", "namespaces", "-o", "name");
        Assert.True(getCode == 0, getErr);
        Assert.Contains("namespace/kube-system", namespaces, StringComparison.Ordinal);
        var server_ = JsonNode.Parse(stdout)!["serverVersion"]!;
        Assert.StartsWith("v1.33.0+monokube.", server_["gitVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(server.Url, (await File.ReadAllLinesAsync(kubeconfig, Token)).Single(l => l.Contains("server:", StringComparison.Ordinal)).Split("server:")[1].Trim());
    }

    [Fact]
    public async Task Readyz_follows_etcd_down_and_up_again()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        await using var server = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0", "--etcd-servers", etcd.ClientUrl);

        Assert.Contains("[+]etcd ok", await Http.GetStringAsync(server.Url + "/readyz?verbose", Token), StringComparison.Ordinal);
        Assert.Contains("(storage: etcd)", server.Output, StringComparison.Ordinal);

        await etcd.KillAsync();
        var failing = await Eventually.WaitAsync(
            async () =>
            {
                var response = await Http.GetAsync(server.Url + "/readyz", Token);
                return (response.StatusCode == HttpStatusCode.InternalServerError, await response.Content.ReadAsStringAsync(Token));
            },
            TimeSpan.FromSeconds(20),
            "readyz to fail while etcd is down");
        Assert.Contains("[-]etcd failed: reason withheld", failing, StringComparison.Ordinal);
        Assert.EndsWith("readyz check failed\n", failing, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(server.Url + "/readyz?exclude=etcd", Token)).StatusCode);

        await etcd.RestartAsync();
        await Eventually.WaitAsync(
            async () => (await Http.GetAsync(server.Url + "/readyz", Token)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30),
            "readyz to pass once etcd is back");
    }

    [Fact]
    public async Task Sigterm_stops_the_controllers_and_releases_their_leases()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        string[] leases = ["kube-controller-manager", "kube-scheduler"];
        await using (var first = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0", "--etcd-servers", etcd.ClientUrl))
        {
            foreach (var lease in leases)
            {
                await Eventually.WaitAsync(
                    async () => (await HolderAsync(first.Url, lease)) is { Length: > 0 },
                    TimeSpan.FromSeconds(20),
                    $"monokube to lead {lease}");
            }

            Assert.Equal(0, await first.TerminateAsync());
            Assert.DoesNotContain("Unhandled exception", first.Output, StringComparison.Ordinal);
        }

        await using var second = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0", "--etcd-servers", etcd.ClientUrl, "--controllers=none");
        foreach (var lease in leases)
        {
            Assert.Equal("", await HolderAsync(second.Url, lease));
        }

        static async Task<string?> HolderAsync(string url, string lease)
        {
            var response = await Http.GetAsync($"{url}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}", Token);
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["spec"]?["holderIdentity"]?.GetValue<string>() : null;
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(300)]
    [InlineData(600)]
    public async Task Sigterm_at_any_moment_of_startup_is_an_orderly_exit(int afterMilliseconds)
    {
        using var dir = new TempDirectory();
        await using var server = MonokubeProcess.Launch("serve", "--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"));
        await Task.Delay(afterMilliseconds, Token);

        // 143: the signal came before the runtime installed its handler, the default action; never 134 (an abort).
        Assert.Contains(await server.TerminateAsync(), new[] { 0, 143 });
        Assert.DoesNotContain("Unhandled exception", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_servers_share_a_port_and_the_survivor_takes_every_connection()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        var port = FreePort.Next();
        string[] flags = ["--insecure-http", $"--secure-port={port}", "--etcd-servers", etcd.ClientUrl, "--permit-port-sharing", "--controllers=none"];
        await using var first = await MonokubeProcess.ServeAsync(flags);
        await using var second = await MonokubeProcess.ServeAsync(flags);
        var url = $"http://127.0.0.1:{port}";

        // Written through one, read through the other: one etcd behind one address.
        using var created = await Http.PostAsync(url + "/api/v1/namespaces/default/configmaps", new StringContent("""{"metadata":{"name":"shared"}}""", System.Text.Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        Assert.Equal(0, await first.TerminateAsync());
        for (var i = 0; i < 20; i++)
        {
            // A new connection each time: the kernel may only pick the server still listening.
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            client.DefaultRequestHeaders.ConnectionClose = true;
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url + "/api/v1/namespaces/default/configmaps/shared", Token)).StatusCode);
        }
    }

    [Fact]
    public async Task Paths_not_served_answer_with_a_kubernetes_status()
    {
        await using var server = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0");

        var response = await Http.GetAsync(server.Url + "/apis/example.com/v1/widgets", Token);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal("v1", status["apiVersion"]!.GetValue<string>());
        Assert.Equal("Failure", status["status"]!.GetValue<string>());
        Assert.Equal("NotFound", status["reason"]!.GetValue<string>());
        Assert.Equal(404, status["code"]!.GetValue<int>());
        Assert.Equal("the server could not find the requested resource", status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sigterm_stops_the_server_cleanly()
    {
        var server = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0");
        await using (server)
        {
            var url = server.Url;
            Assert.Equal(0, await server.TerminateAsync());
            await Assert.ThrowsAsync<HttpRequestException>(() => Http.GetAsync(url + "/healthz", Token));
        }
    }

    [Fact]
    public async Task A_taken_port_is_reported_and_exits_non_zero()
    {
        await using var first = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0");
        var port = new Uri(first.Url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (code, output) = await MonokubeProcess.RunAsync("serve", "--insecure-http", "--secure-port", port);
        Assert.Equal(1, code);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_uses_given_certificates_and_client_ca()
    {
        using var dir = new TempDirectory();
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=test-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));

        (string Cert, string Key) Issue(string subject, bool server)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                request.CertificateExtensions.Add(san.Build());
            }

            using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
            return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
        }

        var (servingCert, servingKey) = Issue("CN=my-apiserver", server: true);
        await File.WriteAllTextAsync(dir.File("ca.crt"), ca.ExportCertificatePem(), Token);
        await File.WriteAllTextAsync(dir.File("tls.crt"), servingCert, Token);
        await File.WriteAllTextAsync(dir.File("tls.key"), servingKey, Token);
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"),
            "--tls-cert-file", dir.File("tls.crt"), "--tls-private-key-file", dir.File("tls.key"), "--client-ca-file", dir.File("ca.crt"));

        HttpClient Client(X509Certificate2? clientCertificate)
        {
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(new X509Certificate2(certificate)) && certificate.Subject == "CN=my-apiserver";
            };
            if (clientCertificate is not null)
            {
                handler.SslOptions.ClientCertificates = [clientCertificate];
            }

            return new HttpClient(handler) { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(10) };
        }

        using var anonymous = Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/version", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync("/api/v1/namespaces", Token)).StatusCode);
        var (clientCert, clientKey) = Issue("CN=operator, O=system:masters", server: false);
        using var admin = Client(X509Certificate2.CreateFromPem(clientCert, clientKey));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/namespaces", Token)).StatusCode);
        Assert.False(File.Exists(Path.Combine(dir.File("certs"), "apiserver.crt")));
    }

    [Fact]
    public async Task The_generated_certificates_name_every_address_and_are_reused()
    {
        using var dir = new TempDirectory();
        var certs = dir.File("certs");
        await using (var first = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", certs, "--advertise-address=10.1.2.3"))
        {
            Assert.Equal(0, await first.TerminateAsync());
        }

        using var serving = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(certs, "apiserver.crt"), Token));
        var san = serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Superset(new HashSet<string> { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local" }, san.EnumerateDnsNames().ToHashSet());
        Assert.Superset(new HashSet<IPAddress> { IPAddress.Loopback, IPAddress.Parse("10.1.2.3"), IPAddress.Parse("10.0.0.1") }, san.EnumerateIPAddresses().ToHashSet());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, "ca.key")));
        }

        var ca = await File.ReadAllTextAsync(Path.Combine(certs, "ca.crt"), Token);
        var saKey = await File.ReadAllTextAsync(Path.Combine(certs, "sa.key"), Token);
        await using (var second = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", certs, "--advertise-address=10.1.2.3"))
        {
            Assert.Equal(0, await second.TerminateAsync());
        }

        Assert.Equal(ca, await File.ReadAllTextAsync(Path.Combine(certs, "ca.crt"), Token));
        Assert.Equal(saKey, await File.ReadAllTextAsync(Path.Combine(certs, "sa.key"), Token));
    }

    [Theory]
    [InlineData("serve --nope", "unknown flag: --nope")]
    [InlineData("serve --tls-cert-file=a.crt --tls-private-key-file=a.key --write-kubeconfig=kc", "--write-kubeconfig needs the CA monokube generates")]
    [InlineData("serve --tls-cert-file=server.crt", "--tls-cert-file and --tls-private-key-file go together")]
    [InlineData("serve --insecure-http --token-auth-file=tokens.csv", "cannot be combined with")]
    [InlineData("serve --insecure-http --request-timeout=0s", "--request-timeout must be positive")]
    [InlineData("serve --insecure-http --request-timeout=soon", "invalid argument \"soon\" for \"--request-timeout\" flag")]
    [InlineData("serve --insecure-http --bind-address=0.0.0.0", "only on a loopback address")]
    [InlineData("serve --insecure-http --storage=etcd", "--storage=etcd needs --etcd-servers")]
    [InlineData("serve --insecure-http --etcd-servers=ftp://x:1", "invalid --etcd-servers")]
    [InlineData("serve --insecure-http --secure-port=http", "invalid argument \"http\" for \"--secure-port\" flag")]
    [InlineData("serve --insecure-http --enable-admission-plugins=NodeRestriction,PodSecurity", "admission plugin PodSecurity is not supported by monokube")]
    [InlineData("serve --insecure-http --enable-admission-plugins=Bogus", "enable-admission-plugins plugin \"Bogus\" is unknown")]
    [InlineData("serve --insecure-http --disable-admission-plugins=Bogus", "disable-admission-plugins plugin \"Bogus\" is unknown")]
    [InlineData("serve --insecure-http --enable-admission-plugins=NodeRestriction --disable-admission-plugins=NodeRestriction", "[NodeRestriction] in enable-admission-plugins and disable-admission-plugins overlapped")]
    [InlineData("serve --insecure-http --storage-media-type=application/vnd.kubernetes.protobuf", "monokube stores objects as JSON only")]
    [InlineData("serve --insecure-http --storage-media-type=application/yaml", "monokube stores objects as JSON only")]
    [InlineData("serve --insecure-http --kubelet-client-certificate=a.crt", "--kubelet-client-certificate and --kubelet-client-key go together")]
    [InlineData("serve --insecure-http --kubelet-preferred-address-types=InternalIP,Bogus", "unknown address type \"Bogus\"")]
    [InlineData("serve --insecure-http --proxy-client-key-file=a.key", "--proxy-client-cert-file and --proxy-client-key-file go together")]
    [InlineData("serve --insecure-http --requestheader-client-ca-file=ca.crt", "cannot be combined with --requestheader-client-ca-file")]
    [InlineData("frobnicate", "unknown command \"frobnicate\"")]
    public async Task Usage_errors_exit_2_with_a_clear_message(string commandLine, string message)
    {
        var (code, output) = await MonokubeProcess.RunAsync(commandLine.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_and_version_work()
    {
        var (code, help) = await MonokubeProcess.RunAsync("--help");
        Assert.Equal(0, code);
        Assert.Contains("serve", help, StringComparison.Ordinal);
        Assert.Contains("version", help, StringComparison.Ordinal);

        var (serveCode, serveHelp) = await MonokubeProcess.RunAsync("serve", "--help");
        Assert.Equal(0, serveCode);
        Assert.Contains("--etcd-servers strings", serveHelp, StringComparison.Ordinal);

        var (versionCode, version) = await MonokubeProcess.RunAsync("version", "--output=json");
        Assert.Equal(0, versionCode);
        Assert.StartsWith("v1.33.0+monokube.", JsonNode.Parse(version)!["gitVersion"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
