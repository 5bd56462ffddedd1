using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Monokube.ApiServer.Security.Pki;

/// <summary>
/// The serving certificate of a component's secure port, found as kube-controller-manager and kube-scheduler find
/// theirs: --tls-cert-file and --tls-private-key-file; else &lt;--cert-dir&gt;/&lt;pair&gt;.crt and .key, generated
/// there when missing; else one generated in memory. A generated one is self-signed as kube's are: a
/// "localhost-ca@&lt;time&gt;" CA and a "localhost@&lt;time&gt;" certificate for localhost and 127.0.0.1, valid a year.
/// </summary>
public static class ComponentServingCertificate
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);

    public static X509Certificate2 Load(string? certFile, string? keyFile, string? certDir, string pairName, DateTimeOffset now)
    {
        if (certFile is not null || keyFile is not null)
        {
            return certFile is not null && keyFile is not null
                ? PemFiles.LoadCertificateWithKey(certFile, keyFile)
                : throw new ArgumentException("--tls-cert-file and --tls-private-key-file go together");
        }

        if (certDir is not null)
        {
            var cert = Path.Combine(certDir, pairName + ".crt");
            var key = Path.Combine(certDir, pairName + ".key");
            if (File.Exists(cert) && File.Exists(key))
            {
                return PemFiles.LoadCertificateWithKey(cert, key);
            }

            var (created, ca) = Generate(now);
            using (ca)
            {
                PemFiles.WriteFile(cert, created.ExportCertificatePem() + "\n" + ca.Certificate.ExportCertificatePem() + "\n", secret: false);
                PemFiles.WriteKey(key, created);
            }

            return created;
        }

        var (inMemory, generatedCa) = Generate(now);
        generatedCa.Dispose();
        return inMemory;
    }

    private static (X509Certificate2 Certificate, CertificateAuthority Ca) Generate(DateTimeOffset now)
    {
        var stamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var ca = CertificateAuthority.Create("localhost-ca@" + stamp, Lifetime, now);
        using var issued = ca.IssueServing("localhost@" + stamp, ["localhost"], [IPAddress.Loopback], Lifetime, now);

        // SslStream on Linux wants the key in a persisted form; a PKCS#12 round trip gives it one.
        return (X509CertificateLoader.LoadPkcs12(issued.Export(X509ContentType.Pkcs12), null), ca);
    }
}
