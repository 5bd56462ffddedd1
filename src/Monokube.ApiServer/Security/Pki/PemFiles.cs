using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Monokube.ApiServer.Security.Pki;

/// <summary>PEM files as Kubernetes components read and write them.</summary>
public static class PemFiles
{
    public static X509Certificate2 LoadCertificateWithKey(string certFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);

        // SslStream on Linux wants the key in a persisted form; a PKCS#12 round trip gives it one.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public static X509Certificate2Collection LoadCertificates(string file)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(file);
        if (certificates.Count == 0)
        {
            throw new CryptographicException($"{file} holds no PEM certificate");
        }

        return certificates;
    }

    public static void WriteCertificate(string file, X509Certificate2 certificate) =>
        WriteFile(file, certificate.ExportCertificatePem() + "\n", secret: false);

    public static void WriteKey(string file, X509Certificate2 certificate)
    {
        var pem = certificate.GetRSAPrivateKey() is { } rsa ? rsa.ExportPkcs8PrivateKeyPem()
            : certificate.GetECDsaPrivateKey() is { } ecdsa ? ecdsa.ExportPkcs8PrivateKeyPem()
            : throw new CryptographicException("the certificate has no exportable private key");
        WriteFile(file, pem + "\n", secret: true);
    }

    public static void WriteFile(string file, string content, bool secret)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(file));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(file, content);
        if (secret && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
