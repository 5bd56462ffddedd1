using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Node.Certificates;

/// <summary>
/// A kubelet's request for a client certificate: a CertificateSigningRequest for the signer
/// kubernetes.io/kube-apiserver-client-kubelet with CN=system:node:&lt;name&gt;, O=system:nodes and the usages
/// digital signature and client auth, then waiting until it is issued (or denied, or failed).
/// </summary>
public static class NodeClientCertificateRequest
{
    public const string Signer = "kubernetes.io/kube-apiserver-client-kubelet";

    /// <summary>A new ECDSA P-256 key, as the kubelet makes for each request.</summary>
    public static ECDsa NewKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>
    /// Creates the request (named <paramref name="name"/>, or named by the API from "csr-" when null) and returns its
    /// name once the API accepted it.
    /// </summary>
    public static async Task<string> CreateAsync(KubeClient client, ECDsa key, string nodeName, string? name, CancellationToken cancellationToken)
    {
        var request = new CertificateRequest($"CN=system:node:{nodeName}, O=system:nodes", key, HashAlgorithmName.SHA256);
        var metadata = name is null ? new JsonObject { ["generateName"] = "csr-" } : new JsonObject { ["name"] = name };
        var created = await client.CreateAsync(ResourceRef.CertificateSigningRequests, null, new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["request"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(request.CreateSigningRequestPem())),
                ["signerName"] = Signer,
                ["usages"] = new JsonArray((JsonNode)"digital signature", "client auth"),
            },
        }, cancellationToken);
        return created.GetString("metadata.name") ?? name ?? throw new InvalidOperationException("the API named no certificate signing request");
    }

    /// <summary>
    /// Waits until the request is issued and returns the certificate (PEM); throws when it is denied or failed, or
    /// gone. While the API does not answer, it keeps asking.
    /// </summary>
    public static async Task<string> WaitForCertificateAsync(KubeClient client, string name, TimeProvider time, CancellationToken cancellationToken)
    {
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

            if (csr is null)
            {
                throw new InvalidOperationException($"the certificate request {name} was deleted before it was issued");
            }

            var conditions = (csr.Find("status.conditions") as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (conditions.FirstOrDefault(c => c.GetString("type") is "Denied" or "Failed") is { } refused)
            {
                throw new InvalidOperationException($"the certificate request {name} was {refused.GetString("type")!.ToLowerInvariant()}: {refused.GetString("reason")}: {refused.GetString("message")}");
            }

            if (csr.GetString("status.certificate") is { Length: > 0 } issued)
            {
                return Encoding.ASCII.GetString(Convert.FromBase64String(issued));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }
    }
}
