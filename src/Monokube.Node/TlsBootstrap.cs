using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Node;

/// <summary>
/// The kubelet's TLS bootstrap: with the bootstrap kubeconfig's token, ask for a client certificate
/// (kubernetes.io/kube-apiserver-client-kubelet, CN=system:node:&lt;name&gt;, O=system:nodes, an ECDSA P-256 key),
/// wait until it is issued, keep certificate and key in &lt;cert-dir&gt;/kubelet-client-current.pem and write the
/// kubeconfig that uses them.
/// </summary>
public static class TlsBootstrap
{
    public const string CertificateFile = "kubelet-client-current.pem";

    public static async Task BootstrapAsync(NodeAgentOptions options, string nodeName, TextWriter log, TimeProvider time, CancellationToken cancellationToken)
    {
        var bootstrap = KubeconfigFile.Load(options.BootstrapKubeconfig!, "monokube/node");
        using var client = new KubeClient(bootstrap);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=system:node:{nodeName}, O=system:nodes", key, HashAlgorithmName.SHA256);
        var name = "node-csr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await client.CreateAsync(ResourceRef.CertificateSigningRequests, null, new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["request"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(request.CreateSigningRequestPem())),
                ["signerName"] = "kubernetes.io/kube-apiserver-client-kubelet",
                ["usages"] = new JsonArray((JsonNode)"digital signature", "client auth"),
            },
        }, cancellationToken);
        await log.WriteLineAsync($"monokube node {nodeName}: asked for a client certificate ({name}); waiting for its approval");

        string certificate;
        while (true)
        {
            JsonObject? csr;
            try
            {
                csr = await client.GetAsync(ResourceRef.CertificateSigningRequests, null, name, cancellationToken);
            }
            catch (KubeApiException e) when (e.IsUnreachable)
            {
                // The API away for a moment: ask again.
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
                continue;
            }

            var conditions = (csr?.Find("status.conditions") as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (conditions.FirstOrDefault(c => c.GetString("type") is "Denied" or "Failed") is { } refused)
            {
                throw new InvalidOperationException($"the certificate request {name} was {refused.GetString("type")!.ToLowerInvariant()}: {refused.GetString("reason")}: {refused.GetString("message")}");
            }

            if (csr?.GetString("status.certificate") is { Length: > 0 } issued)
            {
                certificate = Encoding.ASCII.GetString(Convert.FromBase64String(issued));
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }

        Directory.CreateDirectory(options.CertDir);
        var pemFile = Path.Combine(options.CertDir, CertificateFile);
        await WriteSecretAsync(pemFile, certificate.TrimEnd() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n", cancellationToken);
        var ca = string.Concat(bootstrap.CertificateAuthorities.Select(c => c.ExportCertificatePem() + "\n"));
        var caLine = ca.Length == 0 ? "    insecure-skip-tls-verify: true" : "    certificate-authority-data: " + Convert.ToBase64String(Encoding.ASCII.GetBytes(ca));
        await WriteSecretAsync(options.Kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: default-cluster
              cluster:
                server: {bootstrap.Server.ToString().TrimEnd('/')}
            {caLine}
            users:
            - name: default-auth
              user:
                client-certificate: {Path.GetFullPath(pemFile)}
                client-key: {Path.GetFullPath(pemFile)}
            contexts:
            - name: default-context
              context:
                cluster: default-cluster
                user: default-auth
            current-context: default-context

            """, cancellationToken);
        await log.WriteLineAsync($"monokube node {nodeName}: got its client certificate; wrote {options.Kubeconfig}");
    }

    private static async Task WriteSecretAsync(string path, string content, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        await File.WriteAllTextAsync(path, content, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
