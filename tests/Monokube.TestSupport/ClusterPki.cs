using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Monokube.TestSupport;

/// <summary>
/// The credentials of one test cluster, written as PEM files into a folder, so that a real kube-apiserver and monokube
/// can be started with the same flags: a CA (with its key) that serves and verifies client certificates, a serving
/// certificate for 127.0.0.1 and localhost, a service-account key pair and a static token file with an admin token.
/// </summary>
public sealed class ClusterPki : IDisposable
{
    public const string AdminToken = "admin-token-0123456789abcdef";

    private ClusterPki(string folder, X509Certificate2 ca, RSA serviceAccountKey)
    {
        Folder = folder;
        Ca = ca;
        ServiceAccountKey = serviceAccountKey;
    }

    public string Folder { get; }

    /// <summary>The cluster CA, with its private key.</summary>
    public X509Certificate2 Ca { get; }

    public RSA ServiceAccountKey { get; }

    public string CaFile => Path.Combine(Folder, "ca.crt");

    public string CaKeyFile => Path.Combine(Folder, "ca.key");

    public string ServingCertFile => Path.Combine(Folder, "apiserver.crt");

    public string ServingKeyFile => Path.Combine(Folder, "apiserver.key");

    public string ServiceAccountKeyFile => Path.Combine(Folder, "sa.key");

    public string ServiceAccountPublicKeyFile => Path.Combine(Folder, "sa.pub");

    public string TokenFile => Path.Combine(Folder, "tokens.csv");

    public const string Issuer = "https://kubernetes.default.svc.cluster.local";

    /// <summary>
    /// The kube-apiserver flags both servers take for these credentials (authentication, authorization, service
    /// accounts); the caller adds the address, the port and the storage.
    /// </summary>
    public IReadOnlyList<string> ServerFlags =>
    [
        "--tls-cert-file=" + ServingCertFile,
        "--tls-private-key-file=" + ServingKeyFile,
        "--client-ca-file=" + CaFile,
        "--token-auth-file=" + TokenFile,
        "--enable-bootstrap-token-auth",
        "--authorization-mode=Node,RBAC",
        "--service-account-issuer=" + Issuer,
        "--service-account-key-file=" + ServiceAccountPublicKeyFile,
        "--service-account-signing-key-file=" + ServiceAccountKeyFile,
        "--service-cluster-ip-range=10.96.0.0/12",
    ];

    /// <summary>Writes fresh credentials into <paramref name="folder"/>; <paramref name="tokens"/> adds token-file lines.</summary>
    public static ClusterPki Create(string folder, IEnumerable<string>? tokens = null)
    {
        Directory.CreateDirectory(folder);
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=cluster-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(now.AddDays(-30), now.AddDays(30));
        File.WriteAllText(Path.Combine(folder, "ca.crt"), ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(folder, "ca.key"), caKey.ExportPkcs8PrivateKeyPem() + "\n");

        using var servingKey = RSA.Create(2048);
        var serving = new CertificateRequest("CN=kube-apiserver", servingKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        names.AddDnsName("kubernetes.default.svc");
        serving.CertificateExtensions.Add(names.Build());
        serving.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serving.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        using var servingCert = serving.Create(ca, now.AddHours(-1), now.AddDays(30), Serial());
        File.WriteAllText(Path.Combine(folder, "apiserver.crt"), servingCert.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(folder, "apiserver.key"), servingKey.ExportPkcs8PrivateKeyPem() + "\n");

        var saKey = RSA.Create(2048);
        File.WriteAllText(Path.Combine(folder, "sa.key"), saKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllText(Path.Combine(folder, "sa.pub"), saKey.ExportSubjectPublicKeyInfoPem() + "\n");
        File.WriteAllLines(Path.Combine(folder, "tokens.csv"), [$"{AdminToken},admin,admin-uid,system:masters", .. tokens ?? []]);
        return new ClusterPki(folder, ca, saKey);
    }

    /// <summary>A client certificate of the cluster CA (or of <paramref name="issuer"/>) with the given subject and validity.</summary>
    public X509Certificate2 IssueClient(string subject, X509Certificate2? issuer = null, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string usage = "1.3.6.1.5.5.7.3.2")
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var now = DateTimeOffset.UtcNow;
        using var cert = request.Create(issuer ?? Ca, notBefore ?? now.AddHours(-1), notAfter ?? now.AddDays(1), Serial());
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Writes a kubeconfig for <paramref name="url"/> with a client certificate of the cluster CA for the user.</summary>
    public string WriteCertificateKubeconfig(string path, string url, string user, params string[] groups)
    {
        using var certificate = IssueClient(string.Join(", ", groups.Select(g => "O=" + g).Prepend("CN=" + user)), notAfter: DateTimeOffset.UtcNow.AddDays(29));
        var certFile = path + ".crt";
        var keyFile = path + ".key";
        File.WriteAllText(certFile, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyFile, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: c, cluster: {"{"}server: "{url}", certificate-authority: "{CaFile}"{"}"}{"}"}]
            users: [{"{"}name: u, user: {"{"}client-certificate: "{certFile}", client-key: "{keyFile}"{"}"}{"}"}]
            contexts: [{"{"}name: c, context: {"{"}cluster: c, user: u{"}"}{"}"}]
            current-context: c

            """);
        return path;
    }

    /// <summary>A self-signed CA the cluster does not trust.</summary>
    public static X509Certificate2 ForeignCa()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=foreign-ca", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(30));
    }

    public void Dispose()
    {
        Ca.Dispose();
        ServiceAccountKey.Dispose();
    }

    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        return serial;
    }
}
