using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Certificates;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>
/// The kubelet TLS bootstrap as a kubelet drives it: a bootstrap token asks for a client certificate, it is
/// approved and signed, the node then uses it and renews it; other signers wait for kubectl certificate approve.
/// </summary>
public sealed class CertificateTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_bootstrap_token_gets_a_node_client_certificate_that_the_node_renews_itself()
    {
        var id = RandomToken(6);
        var token = id + "." + RandomToken(16);
        var node = "node-" + id;
        await BootstrapTokenAsync(id, token[7..]);

        // As kubeadm sets it up for system:bootstrappers (here for this token's user, so tests stay apart):
        // bootstrap identities may ask for and get node client certificates, nodes may renew their own.
        await BindAsync("bootstrappers-create-" + id, "system:node-bootstrapper", "system:bootstrap:" + id, user: true);
        await BindAsync("bootstrappers-approve-" + id, "system:certificates.k8s.io:certificatesigningrequests:nodeclient", "system:bootstrap:" + id, user: true);
        await BindAsync("nodes-renew-" + id, "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "system:nodes");

        using var bootstrap = cluster.ClientAs(bearerToken: token);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = await bootstrap.CreateAsync(ResourceRef.CertificateSigningRequests, null, CsrObject("node-csr-" + id, key, $"CN=system:node:{node}, O=system:nodes", Csr.KubeletClientSigner, "digital signature", "client auth"), Ct);
        Assert.Equal($"system:bootstrap:{id}", csr.GetString("spec.username"));

        var issued = await IssuedAsync("node-csr-" + id);
        var approved = Conditions.Find(issued, "Approved")!;
        Assert.Equal("AutoApproved", approved.GetString("reason"));
        Assert.Equal("Auto approving kubelet client certificate after SubjectAccessReview.", approved.GetString("message"));
        using var certificate = Certificate(issued);
        Assert.Equal($"CN=system:node:{node}, O=system:nodes", certificate.Subject);
        Assert.Equal(X509Certificate2.CreateFromPem(cluster.CaPem).Subject, certificate.Issuer);
        Assert.Contains(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.2");
        Assert.InRange(certificate.NotAfter - certificate.NotBefore, TimeSpan.FromDays(364), TimeSpan.FromDays(366));

        // The node is now system:node:<name> in system:nodes.
        using var nodeCert = certificate.CopyWithPrivateKey(key);
        using var nodeIdentity = X509CertificateLoader.LoadPkcs12(nodeCert.Export(X509ContentType.Pkcs12), null);
        using var asNode = cluster.ClientAs(certificate: nodeIdentity);
        var review = await asNode.CreateAsync(new ResourceRef("authentication.k8s.io", "v1", "selfsubjectreviews", false), null, new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "SelfSubjectReview" }, Ct);
        Assert.Equal($"system:node:{node}", review.GetString("status.userInfo.username"));

        // Renewal by the node itself: approved as selfnodeclient.
        using var renewedKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await asNode.CreateAsync(ResourceRef.CertificateSigningRequests, null, CsrObject("node-renew-" + id, renewedKey, $"CN=system:node:{node}, O=system:nodes", Csr.KubeletClientSigner, "digital signature", "client auth"), Ct);
        var renewed = await IssuedAsync("node-renew-" + id);
        Assert.Equal("Auto approving self kubelet client certificate after SubjectAccessReview.", Conditions.Find(renewed, "Approved")!.GetString("message"));
    }

    [Fact]
    public async Task A_kubelet_request_made_before_its_permission_is_approved_once_the_permission_is_there()
    {
        var id = RandomToken(6);
        var token = id + "." + RandomToken(16);
        await BootstrapTokenAsync(id, token[7..]);
        await BindAsync("bootstrappers-create-" + id, "system:node-bootstrapper", "system:bootstrap:" + id, user: true);

        // As in a pivot, the node asks before the binding that lets it be approved exists.
        using var bootstrap = cluster.ClientAs(bearerToken: token);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await bootstrap.CreateAsync(ResourceRef.CertificateSigningRequests, null, CsrObject("early-" + id, key, $"CN=system:node:early-{id}, O=system:nodes", Csr.KubeletClientSigner, "digital signature", "client auth"), Ct);
        Assert.Null(Conditions.Find(await GetAsync("early-" + id), "Approved"));

        await BindAsync("bootstrappers-approve-" + id, "system:certificates.k8s.io:certificatesigningrequests:nodeclient", "system:bootstrap:" + id, user: true);
        var issued = await IssuedAsync("early-" + id);
        Assert.Equal("AutoApproved", Conditions.Find(issued, "Approved")!.GetString("reason"));
    }

    [Fact]
    public async Task Requests_that_are_not_a_kubelets_wait_for_a_person_and_the_signer_checks_them()
    {
        var id = RandomToken(6);
        var token = id + "." + RandomToken(16);
        await BootstrapTokenAsync(id, token[7..]);
        await BindAsync("bootstrappers-create-" + id, "system:node-bootstrapper", "system:bootstrap:" + id, user: true);

        // No nodeclient permission for this token: the kubelet CSR stays pending until approved by hand.
        using var bootstrap = cluster.ClientAs(bearerToken: token);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await bootstrap.CreateAsync(ResourceRef.CertificateSigningRequests, null, CsrObject("pending-" + id, key, "CN=system:node:p, O=system:nodes", Csr.KubeletClientSigner, "digital signature", "client auth"), Ct);

        // A user client certificate: approved with kubectl, then signed.
        await cluster.Client.CreateAsync(ResourceRef.CertificateSigningRequests, null, CsrObject("user-" + id, key, "CN=jane, O=developers", Csr.ClientSigner, "digital signature", "client auth"), Ct);
        await cluster.KubectlOkAsync("certificate", "approve", "user-" + id);
        using (var user = Certificate(await IssuedAsync("user-" + id)))
        {
            Assert.Equal("CN=jane, O=developers", user.Subject);
        }

        // Denied: never signed.
        await cluster.Client.CreateAsync(ResourceRef.CertificateSigningRequests, null, CsrObject("denied-" + id, key, "CN=mallory", Csr.ClientSigner, "digital signature", "client auth"), Ct);
        await cluster.KubectlOkAsync("certificate", "deny", "denied-" + id);

        // A serving certificate without any address is refused by its signer.
        await cluster.Client.CreateAsync(ResourceRef.CertificateSigningRequests, null, CsrObject("serving-" + id, key, "CN=system:node:p, O=system:nodes", Csr.KubeletServingSigner, "digital signature", "server auth"), Ct);
        await cluster.KubectlOkAsync("certificate", "approve", "serving-" + id);
        await ClusterFixture.WaitAsync(async () => Conditions.Find(await GetAsync("serving-" + id), "Failed") is not null, "the serving request to fail");
        var failed = Conditions.Find(await GetAsync("serving-" + id), "Failed")!;
        Assert.Equal("SignerValidationFailure", failed.GetString("reason"));
        Assert.Equal("at least one DNS or IP subjectAltName is required", failed.GetString("message"));

        var pending = await GetAsync("pending-" + id);
        Assert.Null(Conditions.Find(pending, "Approved"));
        Assert.Null(pending.GetString("status.certificate"));
        var denied = await GetAsync("denied-" + id);
        Assert.NotNull(Conditions.Find(denied, "Denied"));
        Assert.Null(denied.GetString("status.certificate"));
    }

    private async Task<JsonObject> GetAsync(string name) =>
        (await cluster.Client.GetAsync(ResourceRef.CertificateSigningRequests, null, name, Ct))!;

    private async Task<JsonObject> IssuedAsync(string name)
    {
        await ClusterFixture.WaitAsync(async () => (await GetAsync(name)).GetString("status.certificate") is { Length: > 0 }, $"{name} to be issued");
        return await GetAsync(name);
    }

    private static X509Certificate2 Certificate(JsonObject csr) =>
        X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(csr.GetString("status.certificate")!)));

    private static JsonObject CsrObject(string name, ECDsa key, string subject, string signer, params string[] usages)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var pem = request.CreateSigningRequestPem();
        return new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["request"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(pem)),
                ["signerName"] = signer,
                ["usages"] = new JsonArray([.. usages.Select(u => (JsonNode)u)]),
            },
        };
    }

    private async Task BootstrapTokenAsync(string id, string secret) =>
        await cluster.Client.CreateAsync(ResourceRef.Secrets, "kube-system", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "bootstrap-token-" + id },
            ["type"] = "bootstrap.kubernetes.io/token",
            ["stringData"] = new JsonObject
            {
                ["token-id"] = id,
                ["token-secret"] = secret,
                ["usage-bootstrap-authentication"] = "true",
                ["expiration"] = KubeTime.Format(DateTimeOffset.UtcNow.AddHours(1)),
            },
        }, Ct);

    private Task BindAsync(string name, string role, string subject, bool user = false) =>
        cluster.KubectlOkAsync("create", "clusterrolebinding", name, "--clusterrole=" + role, (user ? "--user=" : "--group=") + subject);

    private static string RandomToken(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return new string([.. Enumerable.Range(0, length).Select(_ => alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)])]);
    }
}
