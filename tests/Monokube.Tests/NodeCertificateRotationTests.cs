using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>monokube node renewing its client certificate (--rotate-certificates) against monokube serve and its CSR controllers.</summary>
public sealed partial class NodeCertificateRotationTests
{
    /// <summary>
    /// kube permits no CSR shorter than 10 minutes (spec.expirationSeconds), but the controller-manager's
    /// --cluster-signing-duration has no lower bound. The signer backdates NotBefore by 5 minutes, so a 10 s signing
    /// duration gives certificates of 5 min 10 s whose 70-90% deadline has passed when they are issued: the agent,
    /// like a kubelet, renews at once and then about once a second, each certificate expiring 10 s after it was
    /// issued. The test runs in seconds and sees the renewals, the current link move and the Lease renewed after the
    /// bootstrap certificate expired (which the API then refuses on every request).
    /// </summary>
    [Fact]
    public async Task A_bootstrapped_node_renews_its_client_certificate_by_itself_and_keeps_its_lease()
    {
        using var dir = new TempDirectory();
        var assets = dir.File("assets");
        var port = FreePort.Next();
        var (code, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets, "--api-servers", $"https://127.0.0.1:{port}");
        Assert.True(code == 0, output);
        await using var server = await MonokubeProcess.ServeAsync(
            "--bind-address=127.0.0.1", $"--secure-port={port}", "--tls-cert-file", Path.Combine(assets, "tls", "apiserver.crt"),
            "--tls-private-key-file", Path.Combine(assets, "tls", "apiserver.key"), "--client-ca-file", Path.Combine(assets, "tls", "ca.crt"),
            "--cluster-signing-cert-file", Path.Combine(assets, "tls", "ca.crt"), "--cluster-signing-key-file", Path.Combine(assets, "tls", "ca.key"),
            "--cluster-signing-duration=10s", "--enable-bootstrap-token-auth", "--cert-dir", dir.File("certs"));
        var admin = Path.Combine(assets, "auth", "admin.kubeconfig");
        await KubectlOkAsync(admin, "apply", "-f", Path.Combine(assets, "manifests", "bootstrap-token.yaml"), "-f", Path.Combine(assets, "manifests", "kubelet-bootstrap-rbac.yaml"));

        var kubeconfig = dir.File("root/kubeconfig");
        var certDir = dir.File("root/pki");
        await using var node = MonokubeProcess.Launch("node", "--port=0", "--address=127.0.0.1", "--bootstrap-kubeconfig", Path.Combine(assets, "auth", "bootstrap-kubeconfig"),
            "--kubeconfig", kubeconfig, "--root-dir", dir.File("root"), "--cert-dir", certDir, "--hostname-override=worker-1", "--rotate-certificates", "--node-lease-renew-interval=1s");
        await Eventually.WaitAsync(() => Task.FromResult(node.Output.Contains("worker-1 registered and ready", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), $"the node to register:\n{node.Output}");

        // The first certificate came through the bootstrap token; the agent then asks for the next ones as the node.
        var bootstrapCsr = (await CsrsAsync(admin)).Single(c => c["spec"]!["username"]!.ToString().StartsWith("system:bootstrap:", StringComparison.Ordinal));
        using var bootstrapCertificate = IssuedCertificate(bootstrapCsr)!;
        var renewal = await Eventually.WaitAsync(async () =>
        {
            var issued = (await CsrsAsync(admin)).FirstOrDefault(c => c["spec"]!["username"]!.ToString() == "system:node:worker-1" && IssuedCertificate(c) is not null);
            return (issued is not null, issued);
        }, TimeSpan.FromSeconds(30), $"a renewal CSR by system:node:worker-1 to be issued:\n{node.Output}");
        var renewalName = renewal!["metadata"]!["name"]!.ToString();
        Assert.Equal("Auto approving self kubelet client certificate after SubjectAccessReview.", renewal["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.ToString() == "Approved")!["message"]!.ToString());
        var table = await KubectlOkAsync(admin, "get", "csr", renewalName);
        Assert.Matches($@"(?m)^{renewalName}\s.*kubernetes\.io/kube-apiserver-client-kubelet\s+system:node:worker-1\s.*Approved,Issued\s*$", table);

        // kubelet-client-current.pem links to a timestamped file holding one of the renewed certificates.
        var current = Path.Combine(certDir, "kubelet-client-current.pem");
        var target = new FileInfo(current).LinkTarget;
        Assert.NotNull(target);
        Assert.Matches(TimestampedFile(), Path.GetFileName(target));
        using (var inUse = X509Certificate2.CreateFromPemFile(current, current))
        {
            Assert.NotEqual(bootstrapCertificate.SerialNumber, inUse.SerialNumber);
            Assert.Equal("CN=system:node:worker-1, O=system:nodes", inUse.Subject);
            var renewed = (await CsrsAsync(admin)).Where(c => c["spec"]!["username"]!.ToString() == "system:node:worker-1").Select(IssuedCertificate).OfType<X509Certificate2>().ToList();
            Assert.Contains(renewed, c => c.SerialNumber == inUse.SerialNumber);
        }

        Assert.Contains("rotated its client certificate", node.Output, StringComparison.Ordinal);

        // Once the bootstrap certificate has expired the API refuses it on any connection; the Lease still moves, so
        // the agent works with a renewed certificate, and its kubeconfig (the current link) is the node's.
        await Eventually.WaitAsync(() => Task.FromResult(DateTime.UtcNow > bootstrapCertificate.NotAfter.ToUniversalTime()), TimeSpan.FromSeconds(30), "the bootstrap certificate to expire");
        var expired = DateTimeOffset.UtcNow;
        await Eventually.WaitAsync(async () => DateTimeOffset.Parse(await RenewTimeAsync(admin), System.Globalization.CultureInfo.InvariantCulture) > expired, TimeSpan.FromSeconds(20),
            $"the Lease to be renewed after the bootstrap certificate expired:\n{node.Output}");
        var whoami = JsonNode.Parse(await KubectlOkAsync(kubeconfig, "auth", "whoami", "-o", "json"))!;
        Assert.Equal("system:node:worker-1", whoami["status"]!["userInfo"]!["username"]!.ToString());
        Assert.DoesNotContain("could not renew", node.Output, StringComparison.Ordinal);
        Assert.Equal(0, await node.TerminateAsync());
    }

    /// <summary>
    /// A node whose first certificate was made by someone holding the CA (as kubeadm writes a kubelet's first one), 12 s
    /// long and not backdated, with rotateCertificates in its --config: it renews once, between 70% and 90% of that
    /// lifetime, and the year-long certificate it gets is not due for months.
    /// </summary>
    [Fact]
    public async Task A_node_renews_at_its_deadline_and_not_before()
    {
        using var dir = new TempDirectory();
        var assets = dir.File("assets");
        var port = FreePort.Next();
        var (code, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets, "--api-servers", $"https://127.0.0.1:{port}");
        Assert.True(code == 0, output);
        var ca = Path.Combine(assets, "tls", "ca.crt");
        await using var server = await MonokubeProcess.ServeAsync(
            "--bind-address=127.0.0.1", $"--secure-port={port}", "--tls-cert-file", Path.Combine(assets, "tls", "apiserver.crt"),
            "--tls-private-key-file", Path.Combine(assets, "tls", "apiserver.key"), "--client-ca-file", ca,
            "--cluster-signing-cert-file", ca, "--cluster-signing-key-file", Path.Combine(assets, "tls", "ca.key"), "--cert-dir", dir.File("certs"));
        var admin = Path.Combine(assets, "auth", "admin.kubeconfig");
        await KubectlOkAsync(admin, "apply", "-f", Path.Combine(assets, "manifests", "kubelet-bootstrap-rbac.yaml"));

        var notBefore = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var lifetime = TimeSpan.FromSeconds(12);
        using var first = NodeCertificate("worker-2", ca, Path.Combine(assets, "tls", "ca.key"), notBefore, notBefore + lifetime);
        var kubeconfig = dir.File("node.kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:{port}
                certificate-authority: {ca}
            users:
            - name: u
              user:
                client-certificate-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(first.ExportCertificatePem()))}
                client-key-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(first.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()))}
            contexts:
            - name: c
              context:
                cluster: c
                user: u
            current-context: c
            """);
        var config = dir.File("kubelet-config.yaml");
        File.WriteAllText(config, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nrotateCertificates: true\n");
        var certDir = dir.File("root/pki");
        await using var node = MonokubeProcess.Launch("node", "--port=0", "--address=127.0.0.1", "--config", config, "--kubeconfig", kubeconfig,
            "--root-dir", dir.File("root"), "--cert-dir", certDir, "--hostname-override=worker-2", "--node-lease-renew-interval=1s");

        var renewal = await Eventually.WaitAsync(async () =>
        {
            var issued = (await CsrsAsync(admin)).FirstOrDefault(c => IssuedCertificate(c) is not null);
            return (issued is not null, issued);
        }, TimeSpan.FromSeconds(30), $"the node to renew its certificate:\n{node.Output}");
        Assert.Equal("system:node:worker-2", renewal!["spec"]!["username"]!.ToString());
        var asked = DateTimeOffset.Parse(renewal["metadata"]!["creationTimestamp"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        // creationTimestamp has whole seconds: the request came no earlier than the 70% mark (8.4 s) allows.
        Assert.True(asked >= notBefore + TimeSpan.FromSeconds(8), $"renewed at {asked:O}, {(asked - notBefore).TotalSeconds}s into a {lifetime.TotalSeconds}s certificate");
        var planned = DeadlineLine().Match(node.Output);
        Assert.True(planned.Success, node.Output);
        var deadline = DateTimeOffset.Parse(planned.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(deadline, notBefore + (lifetime * 0.7) - TimeSpan.FromSeconds(1), notBefore + (lifetime * 0.9));

        await Eventually.WaitAsync(() => Task.FromResult(node.Output.Contains("rotated its client certificate", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), node.Output);
        await Eventually.WaitAsync(() => Task.FromResult(DateTime.UtcNow > first.NotAfter.ToUniversalTime()), TimeSpan.FromSeconds(30), "the first certificate to expire");
        var expired = DateTimeOffset.UtcNow;
        await Eventually.WaitAsync(async () => DateTimeOffset.Parse(await RenewTimeAsync(admin, "worker-2"), System.Globalization.CultureInfo.InvariantCulture) > expired, TimeSpan.FromSeconds(20),
            $"the Lease to be renewed after the first certificate expired:\n{node.Output}");
        Assert.Single(await CsrsAsync(admin));
        using var current = X509Certificate2.CreateFromPemFile(Path.Combine(certDir, "kubelet-client-current.pem"), Path.Combine(certDir, "kubelet-client-current.pem"));
        Assert.InRange(current.NotAfter - current.NotBefore, TimeSpan.FromDays(364), TimeSpan.FromDays(366));
        Assert.Equal(2, DeadlineLine().Matches(node.Output).Count);
        Assert.Equal(0, await node.TerminateAsync());
    }

    [GeneratedRegex(@"renewing it at (\S+) ")]
    private static partial Regex DeadlineLine();

    private static X509Certificate2 NodeCertificate(string node, string caCertificate, string caKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var issuer = X509Certificate2.CreateFromPemFile(caCertificate, caKey);
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=system:node:{node}, O=system:nodes", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")], false));
        // The rendered CA is RSA, the node's key ECDSA: the CA's key signs.
        using var caKeyRsa = issuer.GetRSAPrivateKey()!;
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var serial = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForRSA(caKeyRsa, System.Security.Cryptography.RSASignaturePadding.Pkcs1), notBefore, notAfter, serial);
        return certificate.CopyWithPrivateKey(key);
    }

    [GeneratedRegex(@"^kubelet-client-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.pem$")]
    private static partial Regex TimestampedFile();

    private static X509Certificate2? IssuedCertificate(JsonNode csr) =>
        csr["status"]?["certificate"]?.ToString() is { Length: > 0 } issued ? X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(issued))) : null;

    private static async Task<List<JsonNode>> CsrsAsync(string kubeconfig) =>
        [.. JsonNode.Parse(await KubectlOkAsync(kubeconfig, "get", "csr", "-o", "json"))!["items"]!.AsArray().OfType<JsonNode>()];

    private static async Task<string> RenewTimeAsync(string kubeconfig, string node = "worker-1") =>
        await KubectlOkAsync(kubeconfig, "get", "lease", "-n", "kube-node-lease", node, "-o", "jsonpath={.spec.renewTime}");

    private static async Task<string> KubectlOkAsync(string kubeconfig, params string[] args)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return stdout;
    }
}
