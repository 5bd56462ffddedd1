using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Monokube.ApiServer.Services;

namespace Monokube.ApiServer.Security.Pki;

/// <summary>
/// The certificates and keys the secure port needs: the serving certificate (given, or issued from a CA generated
/// into --cert-dir and reused on later starts), the CAs that verify client certificates, and the service-account
/// signing key.
/// </summary>
public sealed class ServingPki : IDisposable
{
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    private ServingPki(X509Certificate2 serving, ClientCertificateTrust clientTrust, CertificateAuthority? generated, RSA serviceAccountKey, IReadOnlyList<RSA> verificationKeys)
    {
        ServingCertificate = serving;
        ClientTrust = clientTrust;
        GeneratedCa = generated;
        ServiceAccountSigningKey = serviceAccountKey;
        ServiceAccountVerificationKeys = verificationKeys;
    }

    public X509Certificate2 ServingCertificate { get; }

    /// <summary>The CAs of --client-ca-file and --requestheader-client-ca-file.</summary>
    public ClientCertificateTrust ClientTrust { get; }

    /// <summary>The CA monokube generated (when no --tls-cert-file was given); it also signs admin client certificates.</summary>
    public CertificateAuthority? GeneratedCa { get; }

    public RSA ServiceAccountSigningKey { get; }

    public IReadOnlyList<RSA> ServiceAccountVerificationKeys { get; }

    public static ServingPki Load(SecurityOptions options, IPAddress bindAddress, ServiceIpRange serviceRange, DateTimeOffset now)
    {
        CertificateAuthority? generated = null;
        X509Certificate2 serving;
        if (options.TlsCertFile is not null || options.TlsPrivateKeyFile is not null)
        {
            if (options.TlsCertFile is null || options.TlsPrivateKeyFile is null)
            {
                throw new ArgumentException("--tls-cert-file and --tls-private-key-file go together");
            }

            serving = PemFiles.LoadCertificateWithKey(options.TlsCertFile, options.TlsPrivateKeyFile);
        }
        else
        {
            generated = LoadOrCreateCa(options.CertDir, now);
            serving = LoadOrIssueServing(options, generated, bindAddress, serviceRange, now);
        }

        var clientCas = options.ClientCaFile is not null
            ? PemFiles.LoadCertificates(options.ClientCaFile)
            : generated is not null ? [X509CertificateLoader.LoadCertificate(generated.Certificate.RawData)] : [];

        var requestHeaderCas = options.RequestHeader.ClientCaFile is { } requestHeaderCa ? PemFiles.LoadCertificates(requestHeaderCa) : [];
        var signingKey = LoadOrCreateServiceAccountKey(options);
        var verification = options.ServiceAccountKeyFiles.Count > 0 ? options.ServiceAccountKeyFiles.SelectMany(LoadPublicKeys).ToList() : [signingKey];
        return new ServingPki(serving, new ClientCertificateTrust(clientCas, requestHeaderCas), generated, signingKey, verification);
    }

    public void Dispose()
    {
        ServingCertificate.Dispose();
        GeneratedCa?.Dispose();
    }

    private static CertificateAuthority LoadOrCreateCa(string dir, DateTimeOffset now)
    {
        var cert = Path.Combine(dir, "ca.crt");
        var key = Path.Combine(dir, "ca.key");
        if (File.Exists(cert) && File.Exists(key))
        {
            return CertificateAuthority.Load(cert, key);
        }

        var ca = CertificateAuthority.Create("monokube-ca", CaLifetime, now);
        PemFiles.WriteCertificate(cert, ca.Certificate);
        PemFiles.WriteKey(key, ca.Certificate);
        return ca;
    }

    private static X509Certificate2 LoadOrIssueServing(SecurityOptions options, CertificateAuthority ca, IPAddress bindAddress, ServiceIpRange serviceRange, DateTimeOffset now)
    {
        var dns = new List<string> { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", $"kubernetes.default.svc.{options.ClusterDomain}" };
        var addresses = new List<IPAddress> { IPAddress.Loopback, serviceRange.At(1) };
        if (!bindAddress.Equals(IPAddress.Any) && !bindAddress.Equals(IPAddress.IPv6Any))
        {
            addresses.Add(bindAddress);
        }

        if (options.AdvertiseAddress is { } advertise)
        {
            if (IPAddress.TryParse(advertise, out var ip))
            {
                addresses.Add(ip);
            }
            else
            {
                dns.Add(advertise);
            }
        }

        var certFile = Path.Combine(options.CertDir, "apiserver.crt");
        var keyFile = Path.Combine(options.CertDir, "apiserver.key");
        if (File.Exists(certFile) && File.Exists(keyFile))
        {
            var existing = PemFiles.LoadCertificateWithKey(certFile, keyFile);
            if (existing.NotAfter > now.AddDays(30).UtcDateTime && Covers(existing, dns, addresses) && existing.Issuer == ca.Certificate.Subject)
            {
                return existing;
            }

            existing.Dispose();
        }

        var issued = ca.IssueServing("kube-apiserver", dns, addresses, LeafLifetime, now);
        PemFiles.WriteCertificate(certFile, issued);
        PemFiles.WriteKey(keyFile, issued);
        return issued;
    }

    private static bool Covers(X509Certificate2 certificate, IEnumerable<string> dns, IEnumerable<IPAddress> addresses)
    {
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        var names = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var ips = san.EnumerateIPAddresses().ToHashSet();
        return dns.All(names.Contains) && addresses.All(ips.Contains);
    }

    private static RSA LoadOrCreateServiceAccountKey(SecurityOptions options)
    {
        var file = options.ServiceAccountSigningKeyFile ?? Path.Combine(options.CertDir, "sa.key");
        var key = RSA.Create();
        if (File.Exists(file))
        {
            key.ImportFromPem(File.ReadAllText(file));
            return key;
        }

        if (options.ServiceAccountSigningKeyFile is not null)
        {
            throw new FileNotFoundException("--service-account-signing-key-file does not exist", file);
        }

        key.KeySize = 2048;
        PemFiles.WriteFile(file, key.ExportPkcs8PrivateKeyPem() + "\n", secret: true);
        PemFiles.WriteFile(Path.Combine(options.CertDir, "sa.pub"), key.ExportSubjectPublicKeyInfoPem() + "\n", secret: false);
        return key;
    }

    // A key file may hold PEM public keys, private keys or certificates, several of them.
    private static IEnumerable<RSA> LoadPublicKeys(string file)
    {
        var text = File.ReadAllText(file);
        var keys = new List<RSA>();
        foreach (var block in text.Split("-----BEGIN ", StringSplitOptions.RemoveEmptyEntries))
        {
            var pem = "-----BEGIN " + block;
            if (!pem.Contains("-----END", StringComparison.Ordinal))
            {
                continue;
            }

            if (pem.StartsWith("-----BEGIN CERTIFICATE", StringComparison.Ordinal))
            {
                using var certificate = X509Certificate2.CreateFromPem(pem);
                if (certificate.GetRSAPublicKey() is { } rsa)
                {
                    keys.Add(rsa);
                }

                continue;
            }

            var key = RSA.Create();
            key.ImportFromPem(pem);
            keys.Add(key);
        }

        if (keys.Count == 0)
        {
            throw new CryptographicException($"{file} holds no RSA key");
        }

        return keys;
    }
}
