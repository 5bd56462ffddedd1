using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Bootstrap.Start;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>
/// The managed kube-apiserver's command line, as monokube render writes it into the kube-apiserver DaemonSet, run as
/// `monokube serve --controllers=none &lt;its flags&gt;`: the Secret's mount mapped to the rendered tls/ files and
/// $(HOST_IP) expanded, as the node agent expands it.
/// </summary>
public sealed class RenderedApiserverCommandTests
{
    private const string HostIp = "192.0.2.10";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_accepts_the_rendered_kube_apiserver_command_and_honours_its_flags()
    {
        using var dir = new TempDirectory();
        await using var etcd = await EtcdProcess.StartAsync();
        var port = FreePort.Next();
        var assets = dir.File("assets");
        var (rendered, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets, "--api-servers", $"https://127.0.0.1:{port}", "--etcd-servers", etcd.ClientUrl);
        Assert.True(rendered == 0, output);

        var command = Command(assets);
        Assert.Equal("kube-apiserver", command[0]);
        var tls = Path.Combine(assets, "tls") + Path.DirectorySeparatorChar;
        var args = command.Skip(1).Select(a => a.Replace("/etc/kubernetes/secrets/", tls, StringComparison.Ordinal).Replace("$(HOST_IP)", HostIp, StringComparison.Ordinal)).ToList();
        Assert.Contains("--allow-privileged=true", args);
        Assert.Contains("--enable-admission-plugins=NodeRestriction", args);
        Assert.Contains("--storage-media-type=application/json", args);
        Assert.All(args.Where(a => a.Contains(tls, StringComparison.Ordinal)), a => Assert.True(File.Exists(a.Split('=', 2)[1]), a));

        await using var server = await MonokubeProcess.ServeAsync(["--controllers=none", .. args]);

        // /readyz over TLS, trusting only the rendered CA, under the name in the rendered kubeconfigs.
        using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(assets, "tls", "ca.crt"), Token));
        using (var http = Client(ca, null))
        {
            await Eventually.WaitAsync(
                async () => (await http.GetAsync($"https://127.0.0.1:{port}/readyz", Token)).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(20), "/readyz over TLS");
            Assert.Equal("ok", await http.GetStringAsync($"https://127.0.0.1:{port}/readyz", Token));
        }

        // --allow-privileged=true: the rendered admin may create a privileged pod.
        var admin = Path.Combine(assets, "auth", "admin.kubeconfig");
        var pod = dir.File("privileged.json");
        await File.WriteAllTextAsync(pod, """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"privileged"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}""", Token);
        var (code, _, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), admin, "create", "serviceaccount", "default", "-n", "default");
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), admin, "create", "-n", "default", "-f", pod);
        Assert.True(code == 0, stderr);

        // --advertise-address: the kubernetes Service's endpoint is the (expanded) host IP.
        await Eventually.WaitAsync(
            async () => (await Kubectl.RunAsync(Kubectl.Find(null), admin, "get", "endpoints", "kubernetes", "-n", "default", "-o", "jsonpath={.subsets[0].addresses[0].ip}")).Stdout == HostIp,
            TimeSpan.FromSeconds(20), "the kubernetes endpoints at the advertise address");

        // --requestheader-*: the rendered front-proxy client names the user in X-Remote-User.
        using var frontProxy = X509Certificate2.CreateFromPemFile(Path.Combine(assets, "tls", "front-proxy-client.crt"), Path.Combine(assets, "tls", "front-proxy-client.key"));
        using (var proxied = Client(ca, frontProxy))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"https://127.0.0.1:{port}/apis/authentication.k8s.io/v1/selfsubjectreviews")
            {
                Content = new StringContent("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Remote-User", "proxied-user");
            request.Headers.Add("X-Remote-Group", "proxied-group");
            using var response = await proxied.SendAsync(request, Token);
            var body = await response.Content.ReadAsStringAsync(Token);
            Assert.True(response.StatusCode == HttpStatusCode.Created, body);
            var user = JsonNode.Parse(body)!["status"]!["userInfo"]!;
            Assert.Equal("proxied-user", user["username"]!.ToString());
            Assert.Equal(["proxied-group", "system:authenticated"], user["groups"]!.AsArray().Select(g => g!.ToString()));
        }
    }

    [Fact]
    public async Task A_proxy_client_certificate_that_is_not_a_client_certificate_is_refused()
    {
        using var dir = new TempDirectory();
        var assets = dir.File("assets");
        var (rendered, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets);
        Assert.True(rendered == 0, output);

        var (code, refused) = await MonokubeProcess.RunAsync(
            "serve", "--insecure-http", "--secure-port=0", "--proxy-client-cert-file", Path.Combine(assets, "tls", "apiserver.crt"),
            "--proxy-client-key-file", Path.Combine(assets, "tls", "apiserver.key"));
        Assert.Equal(1, code);
        Assert.Contains("--proxy-client-cert-file: ", refused, StringComparison.Ordinal);
        Assert.Contains("is not a client certificate", refused, StringComparison.Ordinal);
    }

    // The command of the kube-apiserver DaemonSet's container, as rendered.
    private static List<string> Command(string assets)
    {
        var daemonSet = RenderedAssets.Load(assets).Objects.Single(o => o.Kind == "DaemonSet" && o.Name == "kube-apiserver");
        var container = (daemonSet.Object.Find("spec.template.spec.containers") as JsonArray)!.OfType<JsonObject>().Single(c => c.GetString("name") == "kube-apiserver");
        return [.. container["command"]!.AsArray().Select(a => a!.ToString())];
    }

    // HTTPS that trusts only the given CA (and checks the host name), with an optional client certificate.
    private static HttpClient Client(X509Certificate2 ca, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }
}
