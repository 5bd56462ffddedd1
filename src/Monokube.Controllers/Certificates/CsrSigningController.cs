using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Certificates;

/// <summary>
/// kube-controller-manager's certificatesigningrequest-signing-controller: issues approved CSRs of the signers
/// kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kube-apiserver-client and kubernetes.io/kubelet-serving
/// with the cluster signing CA, for min(--cluster-signing-duration, spec.expirationSeconds) (at least 10 minutes when
/// asked for), NotBefore backdated 5 minutes (and NotAfter too for lifetimes of 8 hours or more, as kube's);
/// a request its signer does not allow gets the Failed condition with reason SignerValidationFailure instead.
/// </summary>
public sealed class CsrSigningController : Controller
{
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ShortestDuration = TimeSpan.FromMinutes(10);

    // kube's signer: a certificate of at least this lifetime ends Backdate earlier too; a shorter one ends now + lifetime.
    private static readonly TimeSpan Short = TimeSpan.FromHours(8);

    private static readonly Dictionary<string, Oid> ExtendedUsages = new(StringComparer.Ordinal)
    {
        ["server auth"] = new Oid("1.3.6.1.5.5.7.3.1"),
        ["client auth"] = new Oid("1.3.6.1.5.5.7.3.2"),
        ["code signing"] = new Oid("1.3.6.1.5.5.7.3.3"),
        ["email protection"] = new Oid("1.3.6.1.5.5.7.3.4"),
        ["s/mime"] = new Oid("1.3.6.1.5.5.7.3.4"),
        ["ipsec end system"] = new Oid("1.3.6.1.5.5.7.3.5"),
        ["ipsec tunnel"] = new Oid("1.3.6.1.5.5.7.3.6"),
        ["ipsec user"] = new Oid("1.3.6.1.5.5.7.3.7"),
        ["timestamping"] = new Oid("1.3.6.1.5.5.7.3.8"),
        ["ocsp signing"] = new Oid("1.3.6.1.5.5.7.3.9"),
        ["microsoft sgc"] = new Oid("1.3.6.1.4.1.311.10.3.3"),
        ["netscape sgc"] = new Oid("2.16.840.1.113730.4.1"),
    };

    private static readonly Dictionary<string, X509KeyUsageFlags> KeyUsages = new(StringComparer.Ordinal)
    {
        ["signing"] = X509KeyUsageFlags.DigitalSignature,
        ["digital signature"] = X509KeyUsageFlags.DigitalSignature,
        ["content commitment"] = X509KeyUsageFlags.NonRepudiation,
        ["key encipherment"] = X509KeyUsageFlags.KeyEncipherment,
        ["key agreement"] = X509KeyUsageFlags.KeyAgreement,
        ["data encipherment"] = X509KeyUsageFlags.DataEncipherment,
        ["cert sign"] = X509KeyUsageFlags.KeyCertSign,
        ["crl sign"] = X509KeyUsageFlags.CrlSign,
        ["encipher only"] = X509KeyUsageFlags.EncipherOnly,
        ["decipher only"] = X509KeyUsageFlags.DecipherOnly,
    };

    private readonly Informer _csrs;
    private readonly X509Certificate2 _ca;

    public CsrSigningController(ControllerContext context)
        : base("certificatesigningrequest-signing-controller", context)
    {
        _ca = context.Options.SigningCertificate ?? throw new InvalidOperationException("the CSR signer needs --cluster-signing-cert-file and --cluster-signing-key-file");
        _csrs = Watch(ResourceRef.CertificateSigningRequests, e =>
        {
            if (e.Type != InformerEventType.Deleted)
            {
                Queue.Add(e.Key);
            }
        });
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_csrs.Get(key) is not { } obj || obj.GetString("spec.signerName") is not (Csr.KubeletClientSigner or Csr.ClientSigner or Csr.KubeletServingSigner))
        {
            return;
        }

        if (Csr.Parse(obj) is not { } csr || !csr.IsApproved || csr.IsDenied || csr.IsFailed || csr.IsIssued)
        {
            return;
        }

        var updated = obj.DeepClone().AsObject();
        var status = updated.GetOrAddObject("status");
        if (Refusal(csr) is { } refusal)
        {
            var conditions = status["conditions"] as JsonArray ?? [];
            var now = KubeTime.Format(Context.Time.GetUtcNow());
            conditions.Add((JsonNode)new JsonObject
            {
                ["type"] = "Failed",
                ["status"] = "True",
                ["reason"] = "SignerValidationFailure",
                ["message"] = refusal,
                ["lastUpdateTime"] = now,
                ["lastTransitionTime"] = now,
            });
            status["conditions"] = conditions;
        }
        else
        {
            using var certificate = Sign(csr);
            status["certificate"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n"));
        }

        await Client.UpdateAsync(ResourceRef.CertificateSigningRequests, updated, cancellationToken, subresource: "status");
    }

    // Why the signer will not issue this request, in kube's words; null when it will.
    private static string? Refusal(Csr csr)
    {
        switch (csr.SignerName)
        {
            case Csr.KubeletClientSigner:
                if (csr.Organizations is not [Csr.NodesGroup])
                {
                    return "subject organization is not system:nodes";
                }

                if (!csr.CommonName.StartsWith(Csr.NodeUserPrefix, StringComparison.Ordinal))
                {
                    return "subject common name does not begin with system:node:";
                }

                if (csr.DnsNames.Count > 0 || csr.IpAddresses.Count > 0 || csr.HasOtherNames)
                {
                    return "DNS, email, IP and URI subjectAltNames are not allowed";
                }

                return csr.UsagesAre(["client auth", "digital signature"], optional: "key encipherment") ? null : UsageError(csr, "client auth");
            case Csr.KubeletServingSigner:
                if (csr.Organizations is not [Csr.NodesGroup])
                {
                    return "subject organization is not system:nodes";
                }

                if (!csr.CommonName.StartsWith(Csr.NodeUserPrefix, StringComparison.Ordinal))
                {
                    return "subject common name does not begin with system:node:";
                }

                if (csr.HasOtherNames)
                {
                    return "email and URI subjectAltNames are not allowed";
                }

                if (csr.DnsNames.Count == 0 && csr.IpAddresses.Count == 0)
                {
                    return "at least one DNS or IP subjectAltName is required";
                }

                return csr.UsagesAre(["server auth", "digital signature"], optional: "key encipherment") ? null : UsageError(csr, "server auth");
            default:
                var allowed = new[] { "client auth", "digital signature", "key encipherment" };
                var bad = csr.Usages.FirstOrDefault(u => !allowed.Contains(u));
                return bad is null ? (csr.Usages.Contains("client auth") ? null : "missing required usages: client auth") : $"invalid usage for client certificate: {bad}";
        }
    }

    private static string UsageError(Csr csr, string purpose)
    {
        var allowed = new[] { purpose, "digital signature", "key encipherment" };
        var bad = csr.Usages.FirstOrDefault(u => !allowed.Contains(u));
        return bad is not null
            ? $"usages did not match [{string.Join(' ', allowed)}]: invalid usage: {bad}"
            : $"missing required usages: {string.Join(", ", new[] { purpose, "digital signature" }.Where(u => !csr.Usages.Contains(u)))}";
    }

    private X509Certificate2 Sign(Csr csr)
    {
        var now = Context.Time.GetUtcNow();
        var duration = Context.Options.SigningDuration;
        if ((csr.Object["spec"] as JsonObject)?.GetLong("expirationSeconds") is { } seconds)
        {
            var asked = TimeSpan.FromSeconds(Math.Max(seconds, (long)ShortestDuration.TotalSeconds));
            duration = asked < duration ? asked : duration;
        }

        var notBefore = now - Backdate;
        if (notBefore < _ca.NotBefore)
        {
            notBefore = _ca.NotBefore;
        }

        var notAfter = duration < Short ? now + duration : now + duration - Backdate;
        if (notAfter > _ca.NotAfter)
        {
            notAfter = _ca.NotAfter;
        }

        var request = new CertificateRequest(csr.Request.SubjectName, csr.Request.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var keyUsage = csr.Usages.Where(KeyUsages.ContainsKey).Aggregate(X509KeyUsageFlags.None, (flags, u) => flags | KeyUsages[u]);
        if (keyUsage != X509KeyUsageFlags.None)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, true));
        }

        var extended = new OidCollection();
        foreach (var usage in csr.Usages.Where(ExtendedUsages.ContainsKey).OrderBy(u => u, StringComparer.Ordinal))
        {
            extended.Add(ExtendedUsages[usage]);
        }

        if (extended.Count > 0)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(extended, false));
        }

        if (csr.SignerName == Csr.KubeletServingSigner && csr.Request.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault() is { } san)
        {
            request.CertificateExtensions.Add(san);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        // The CA's key may be of another algorithm than the request's (an RSA CA signing a kubelet's ECDSA key).
        using var rsa = _ca.GetRSAPrivateKey();
        using var ecdsa = rsa is null ? _ca.GetECDsaPrivateKey() : null;
        var generator = rsa is not null
            ? X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1)
            : X509SignatureGenerator.CreateForECDsa(ecdsa ?? throw new InvalidOperationException("the signing CA's key is neither RSA nor ECDSA"));
        return request.Create(_ca.SubjectName, generator, notBefore, notAfter, serial);
    }
}
