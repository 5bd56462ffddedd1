using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Monokube.ApiServer.Security.Pki;

/// <summary>A CA certificate with its key, able to issue serving and client certificates.</summary>
public sealed class CertificateAuthority(X509Certificate2 certificate) : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public X509Certificate2 Certificate { get; } = certificate;

    public static CertificateAuthority Create(string commonName, TimeSpan lifetime, DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return new CertificateAuthority(request.CreateSelfSigned(now.AddMinutes(-5), now + lifetime));
    }

    public static CertificateAuthority Load(string certFile, string keyFile) => new(PemFiles.LoadCertificateWithKey(certFile, keyFile));

    /// <summary>A serving certificate for the given DNS names and IP addresses.</summary>
    public X509Certificate2 IssueServing(string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, TimeSpan lifetime, DateTimeOffset now)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames.Distinct(StringComparer.Ordinal))
        {
            san.AddDnsName(name);
        }

        foreach (var address in addresses.Distinct())
        {
            san.AddIpAddress(address);
        }

        return Issue("CN=" + commonName, san.Build(), [ServerAuth], lifetime, now);
    }

    /// <summary>A client certificate: Kubernetes reads the user from CN and the groups from O.</summary>
    public X509Certificate2 IssueClient(string user, IEnumerable<string> groups, TimeSpan lifetime, DateTimeOffset now)
    {
        var subject = string.Join(", ", groups.Select(g => "O=" + Escape(g)).Prepend("CN=" + Escape(user)));
        return Issue(subject, null, [ClientAuth], lifetime, now);
    }

    /// <summary>Signs a client certificate for a CSR's public key (the kubelet client signer).</summary>
    public X509Certificate2 SignRequest(CertificateRequest request, IEnumerable<Oid> usages, TimeSpan lifetime, DateTimeOffset now)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var oids = new OidCollection();
        foreach (var usage in usages)
        {
            oids.Add(usage);
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var notAfter = now + lifetime > Certificate.NotAfter ? new DateTimeOffset(Certificate.NotAfter) : now + lifetime;
        return request.Create(Certificate, now.AddMinutes(-5), notAfter, NewSerial());
    }

    public void Dispose() => Certificate.Dispose();

    private X509Certificate2 Issue(string subject, X509Extension? san, Oid[] usages, TimeSpan lifetime, DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        using var issued = SignRequest(request, usages, lifetime, now);
        return issued.CopyWithPrivateKey(key);
    }

    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        return serial;
    }

    // X.500 names treat , + " \ < > ; = as special.
    private static string Escape(string value) =>
        value.IndexOfAny([',', '+', '"', '\\', '<', '>', ';', '=']) >= 0 || value.StartsWith(' ') || value.EndsWith(' ')
            ? "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : value;
}
