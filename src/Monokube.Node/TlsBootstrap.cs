using System.Security.Cryptography;
using System.Text;
using Monokube.Controllers.Client;
using Monokube.Node.Certificates;

namespace Monokube.Node;

/// <summary>
/// The kubelet's TLS bootstrap: with the bootstrap kubeconfig's token, ask for a client certificate
/// (kubernetes.io/kube-apiserver-client-kubelet, CN=system:node:&lt;name&gt;, O=system:nodes, an ECDSA P-256 key),
/// wait until it is issued, keep certificate and key in the kubelet's certificate store (&lt;cert-dir&gt;/kubelet-client-&lt;time&gt;.pem,
/// linked from kubelet-client-current.pem) and write the kubeconfig that uses the current link.
/// </summary>
public static class TlsBootstrap
{
    public static async Task BootstrapAsync(NodeAgentOptions options, string nodeName, TextWriter log, TimeProvider time, CancellationToken cancellationToken)
    {
        var bootstrap = KubeconfigFile.Load(options.BootstrapKubeconfig!, "monokube/node");
        using var client = new KubeClient(bootstrap);
        using var key = NodeClientCertificateRequest.NewKey();
        var name = "node-csr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await NodeClientCertificateRequest.CreateAsync(client, key, nodeName, name, cancellationToken);
        await log.WriteLineAsync($"monokube node {nodeName}: asked for a client certificate ({name}); waiting for its approval");
        var certificate = await NodeClientCertificateRequest.WaitForCertificateAsync(client, name, time, cancellationToken);

        var store = new KubeletCertificateStore(options.CertDir, time);
        store.Update(certificate, key.ExportPkcs8PrivateKeyPem()).Dispose();
        var pemFile = store.CurrentPath;
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
