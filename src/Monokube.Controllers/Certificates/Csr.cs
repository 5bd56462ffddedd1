using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers.Certificates;

/// <summary>What the CSR controllers read from a CertificateSigningRequest: its request, subject, names and state.</summary>
public sealed class Csr
{
    public const string KubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet";
    public const string ClientSigner = "kubernetes.io/kube-apiserver-client";
    public const string KubeletServingSigner = "kubernetes.io/kubelet-serving";
    public const string NodesGroup = "system:nodes";
    public const string NodeUserPrefix = "system:node:";

    private Csr(JsonObject obj, CertificateRequest request, string commonName, IReadOnlyList<string> organizations, X509SubjectAlternativeNameExtension? san)
    {
        Object = obj;
        Request = request;
        CommonName = commonName;
        Organizations = organizations;
        DnsNames = san?.EnumerateDnsNames().ToList() ?? [];
        IpAddresses = san?.EnumerateIPAddresses().ToList() ?? [];
        HasOtherNames = san is not null && HasEmailOrUri(san);
    }

    public JsonObject Object { get; }

    public CertificateRequest Request { get; }

    public string CommonName { get; }

    public IReadOnlyList<string> Organizations { get; }

    public IReadOnlyList<string> DnsNames { get; }

    public IReadOnlyList<System.Net.IPAddress> IpAddresses { get; }

    /// <summary>Email or URI subject alternative names (never allowed for kubelet certificates).</summary>
    public bool HasOtherNames { get; }

    public string Name => Object.GetString("metadata.name") ?? "";

    public string SignerName => Object.GetString("spec.signerName") ?? "";

    public string Username => Object.GetString("spec.username") ?? "";

    public IReadOnlySet<string> Usages => (Object.Find("spec.usages") as JsonArray ?? []).Select(u => u?.ToString()).OfType<string>().ToHashSet(StringComparer.Ordinal);

    public bool IsApproved => HasCondition(Object, "Approved");

    public bool IsDenied => HasCondition(Object, "Denied");

    public bool IsFailed => HasCondition(Object, "Failed");

    public bool IsIssued => !string.IsNullOrEmpty(Object.GetString("status.certificate"));

    /// <summary>Reads the PEM CERTIFICATE REQUEST in spec.request; null when it is not one (the API validates this).</summary>
    public static Csr? Parse(JsonObject obj)
    {
        try
        {
            var pem = Encoding.UTF8.GetString(Convert.FromBase64String(obj.GetString("spec.request") ?? ""));
            var request = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            var (cn, orgs) = SubjectParts(request.SubjectName);
            var san = request.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
            return new Csr(obj, request, cn, orgs, san);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// A kubelet's client certificate request, as kube's approver recognises one: O is exactly system:nodes, CN starts
    /// with system:node:, no alternative names, and the usages a kubelet asks for (key encipherment optional).
    /// </summary>
    public bool IsNodeClient =>
        Organizations is [NodesGroup]
        && CommonName.StartsWith(NodeUserPrefix, StringComparison.Ordinal)
        && DnsNames.Count == 0 && IpAddresses.Count == 0 && !HasOtherNames
        && UsagesAre(["client auth", "digital signature"], optional: "key encipherment");

    /// <summary>A node renewing its own client certificate: the requester is the node the certificate names.</summary>
    public bool IsSelfNodeClient => IsNodeClient && Username == CommonName;

    public bool UsagesAre(string[] required, string optional)
    {
        var usages = Usages;
        return required.All(usages.Contains) && usages.All(u => required.Contains(u) || u == optional);
    }

    private static bool HasCondition(JsonObject obj, string type) =>
        (obj.Find("status.conditions") as JsonArray ?? []).OfType<JsonObject>().Any(c => c.GetString("type") == type && c.GetString("status") is null or "True");

    private static (string CommonName, IReadOnlyList<string> Organizations) SubjectParts(X500DistinguishedName name)
    {
        var cn = "";
        var orgs = new List<string>();
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            switch (rdn.GetSingleElementType().Value)
            {
                case "2.5.4.3":
                    cn = rdn.GetSingleElementValue() ?? "";
                    break;
                case "2.5.4.10":
                    orgs.Add(rdn.GetSingleElementValue() ?? "");
                    break;
            }
        }

        return (cn, orgs);
    }

    private static bool HasEmailOrUri(X509SubjectAlternativeNameExtension san)
    {
        // GeneralName tags [1] rfc822Name and [6] uniformResourceIdentifier.
        var reader = new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER);
        var names = reader.ReadSequence();
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.TagClass == System.Formats.Asn1.TagClass.ContextSpecific && tag.TagValue is 1 or 6)
            {
                return true;
            }

            names.ReadEncodedValue();
        }

        return false;
    }
}
