using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>monokube render: certificates that chain, kubeconfigs that work, manifests the API accepts, and no CA lost.</summary>
public sealed class RenderTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_certificate_chains_to_its_ca_with_the_right_names_and_usages()
    {
        using var dir = new TempDirectory();
        var assets = dir.File("assets");
        await RenderOkAsync("--asset-dir", assets, "--api-servers", "https://10.1.2.3:6443,https://master.example.com:6443", "--service-cidr", "10.3.0.0/24");

        using var ca = Load(assets, "ca.crt");
        using var frontProxyCa = Load(assets, "front-proxy-ca.crt");
        Assert.InRange(ca.NotAfter - ca.NotBefore, TimeSpan.FromDays(3649), TimeSpan.FromDays(3651));
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);

        using var apiserver = Load(assets, "apiserver.crt");
        Assert.True(Chains(apiserver, ca));
        Assert.InRange(apiserver.NotAfter - apiserver.NotBefore, TimeSpan.FromDays(364), TimeSpan.FromDays(366));
        var san = apiserver.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Superset(new HashSet<string> { "master.example.com", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost" }, san.EnumerateDnsNames().ToHashSet());
        Assert.Superset(new HashSet<IPAddress> { IPAddress.Parse("10.1.2.3"), IPAddress.Parse("10.3.0.1"), IPAddress.Loopback }, san.EnumerateIPAddresses().ToHashSet());
        Assert.Contains(Usages(apiserver), u => u == "1.3.6.1.5.5.7.3.1");

        foreach (var (file, subject) in new[] { ("apiserver-kubelet-client.crt", "CN=kube-apiserver-kubelet-client, O=system:masters") })
        {
            using var client = Load(assets, file);
            Assert.True(Chains(client, ca), file);
            Assert.Equal(subject, client.Subject);
            Assert.Contains(Usages(client), u => u == "1.3.6.1.5.5.7.3.2");
        }

        using var frontProxyClient = Load(assets, "front-proxy-client.crt");
        Assert.True(Chains(frontProxyClient, frontProxyCa));
        Assert.False(Chains(frontProxyClient, ca));
        Assert.Equal("CN=front-proxy-client", frontProxyClient.Subject);

        // Nothing is left unrendered, and secrets are readable by their owner only.
        foreach (var file in Directory.EnumerateFiles(assets, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain("{{", await File.ReadAllTextAsync(file, Token), StringComparison.Ordinal);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(assets, "tls", "ca.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(assets, "manifests", "kube-apiserver.yaml")));
        }

        Assert.Contains("--etcd-servers=http://127.0.0.1:2379", await File.ReadAllTextAsync(Path.Combine(assets, "manifests", "kube-apiserver.yaml"), Token), StringComparison.Ordinal);
        Assert.Contains("clusterIP: 10.3.0.10", await File.ReadAllTextAsync(Path.Combine(assets, "manifests", "coredns.yaml"), Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_manifests_are_accepted_by_the_api_and_the_kubeconfigs_authenticate()
    {
        using var dir = new TempDirectory();
        var assets = dir.File("assets");
        var port = FreePort.Next();
        var etcdCa = dir.File("etcd-ca.crt");
        await File.WriteAllTextAsync(etcdCa, "-----BEGIN CERTIFICATE-----\nnot checked by render\n-----END CERTIFICATE-----\n", Token);
        await RenderOkAsync("--asset-dir", assets, "--api-servers", $"https://127.0.0.1:{port}", "--etcd-servers", "https://10.0.0.5:2379", "--etcd-cafile", etcdCa);

        // A server with the rendered certificates, as the cluster's apiserver would have them.
        await using var server = await MonokubeProcess.ServeAsync(
            "--bind-address=127.0.0.1", $"--secure-port={port}", "--tls-cert-file", Path.Combine(assets, "tls", "apiserver.crt"),
            "--tls-private-key-file", Path.Combine(assets, "tls", "apiserver.key"), "--client-ca-file", Path.Combine(assets, "tls", "ca.crt"),
            "--enable-bootstrap-token-auth", "--service-cluster-ip-range=10.96.0.0/12", "--controllers=none", "--cert-dir", dir.File("certs"));
        var admin = Path.Combine(assets, "auth", "admin.kubeconfig");

        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), admin, "apply", "--dry-run=server", "-f", Path.Combine(assets, "manifests"));
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("daemonset.apps/kube-apiserver created (server dry run)", stdout, StringComparison.Ordinal);
        Assert.Contains("--etcd-cafile=/etc/kubernetes/secrets/etcd-ca.crt", await File.ReadAllTextAsync(Path.Combine(assets, "manifests", "kube-apiserver.yaml"), Token), StringComparison.Ordinal);
        Assert.Contains("monokube start --asset-dir /opt/monokube/assets --etcd-servers https://10.0.0.5:2379 --etcd-cafile /opt/monokube/assets/tls/etcd-ca.crt\n",
            await File.ReadAllTextAsync(Path.Combine(assets, "bootstrap", "cloud-init.yaml"), Token), StringComparison.Ordinal);

        Assert.Equal("kubernetes-admin", await WhoAmIAsync(admin));
        Assert.Equal("system:kube-controller-manager", await WhoAmIAsync(Path.Combine(assets, "auth", "kube-controller-manager.kubeconfig")));
        Assert.Equal("system:kube-scheduler", await WhoAmIAsync(Path.Combine(assets, "auth", "kube-scheduler.kubeconfig")));

        // The bootstrap kubeconfig's token works once its Secret is in the cluster.
        var (applied, _, applyErr) = await Kubectl.RunAsync(Kubectl.Find(null), admin, "apply", "-f", Path.Combine(assets, "manifests", "bootstrap-token.yaml"));
        Assert.True(applied == 0, applyErr);
        var token = (await File.ReadAllTextAsync(Path.Combine(assets, "auth", "bootstrap-token"), Token)).Trim();
        Assert.Equal("system:bootstrap:" + token[..6], await WhoAmIAsync(Path.Combine(assets, "auth", "bootstrap-kubeconfig")));
    }

    [Fact]
    public async Task A_rendered_directory_is_not_overwritten_and_its_ca_survives_force_and_rotation()
    {
        using var dir = new TempDirectory();
        var assets = dir.File("assets");
        await RenderOkAsync("--asset-dir", assets);
        var ca = await File.ReadAllTextAsync(Path.Combine(assets, "tls", "ca.crt"), Token);
        var serving = await File.ReadAllTextAsync(Path.Combine(assets, "tls", "apiserver.crt"), Token);
        var token = await File.ReadAllTextAsync(Path.Combine(assets, "auth", "bootstrap-token"), Token);

        var (code, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets);
        Assert.Equal(1, code);
        Assert.Contains("is not empty; render into it again with --force", output, StringComparison.Ordinal);
        Assert.Equal(serving, await File.ReadAllTextAsync(Path.Combine(assets, "tls", "apiserver.crt"), Token));

        await RenderOkAsync("--asset-dir", assets, "--rotate-certs");
        Assert.Equal(ca, await File.ReadAllTextAsync(Path.Combine(assets, "tls", "ca.crt"), Token));
        Assert.NotEqual(serving, await File.ReadAllTextAsync(Path.Combine(assets, "tls", "apiserver.crt"), Token));
        Assert.Equal(token, await File.ReadAllTextAsync(Path.Combine(assets, "auth", "bootstrap-token"), Token));
        using (var rotated = Load(assets, "apiserver.crt"))
        using (var caCert = Load(assets, "ca.crt"))
        {
            Assert.True(Chains(rotated, caCert));
        }

        await RenderOkAsync("--asset-dir", assets, "--force", "--cluster-domain", "example.internal");
        Assert.Equal(ca, await File.ReadAllTextAsync(Path.Combine(assets, "tls", "ca.crt"), Token));
        Assert.Contains("clusterDomain: example.internal", await File.ReadAllTextAsync(Path.Combine(assets, "bootstrap", "kubelet-config.yaml"), Token), StringComparison.Ordinal);

        // A CA whose key went missing is not silently replaced.
        File.Delete(Path.Combine(assets, "tls", "ca.key"));
        (code, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets, "--force");
        Assert.Equal(1, code);
        Assert.Contains("refusing to replace a CA", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("render", "--asset-dir is required")]
    [InlineData("render --asset-dir=x --api-servers=http://1.2.3.4:6443", "--api-servers must be https:// URLs")]
    [InlineData("render --asset-dir=x --service-cidr=10.0.0.0", "invalid --service-cidr")]
    [InlineData("render --asset-dir=x --etcd-certfile=a.crt", "--etcd-certfile and --etcd-keyfile go together")]
    public async Task Bad_flags_get_a_clear_message(string commandLine, string message)
    {
        using var dir = new TempDirectory();
        var args = commandLine.Split(' ').Select(a => a.Replace("--asset-dir=x", "--asset-dir=" + dir.File("x"), StringComparison.Ordinal)).ToArray();
        var (code, output) = await MonokubeProcess.RunAsync(args);
        Assert.NotEqual(0, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("x")) && Directory.EnumerateFileSystemEntries(dir.File("x")).Any());
    }

    private static async Task RenderOkAsync(params string[] flags)
    {
        var (code, output) = await MonokubeProcess.RunAsync(["render", .. flags]);
        Assert.True(code == 0, output);
    }

    private static async Task<string> WhoAmIAsync(string kubeconfig)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "auth", "whoami", "-o", "json");
        Assert.True(code == 0, stderr);
        return JsonNode.Parse(stdout)!["status"]!["userInfo"]!["username"]!.ToString();
    }

    private static X509Certificate2 Load(string assets, string file) => X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(assets, "tls", file)));

    private static IEnumerable<string?> Usages(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()).Select(o => o.Value);

    private static bool Chains(X509Certificate2 leaf, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
