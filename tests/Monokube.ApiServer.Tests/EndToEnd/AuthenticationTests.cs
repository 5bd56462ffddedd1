using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// Who gets in over HTTPS: the written admin kubeconfig, client certificates of the server's CA (and not of another
/// CA), static tokens, bootstrap tokens, service-account tokens from `kubectl create token`, anonymous requests.
/// </summary>
public sealed class AuthenticationTests(SecureApiServerFixture server) : IClassFixture<SecureApiServerFixture>
{
    private static async Task<JsonNode> WhoAmIAsync(SecureApiServerFixture server, string kubeconfig) =>
        JsonNode.Parse(await server.KubectlOkAsync(kubeconfig, "auth", "whoami", "-o", "json"))!["status"]!["userInfo"]!;

    private static string[] Groups(JsonNode userInfo) => [.. userInfo["groups"]!.AsArray().Select(g => g!.ToString())];

    [Fact]
    public async Task The_written_admin_kubeconfig_works_with_kubectl_at_once()
    {
        var namespaces = await server.AdminAsync("get", "namespaces", "-o", "name");
        Assert.Contains("namespace/kube-system", namespaces, StringComparison.Ordinal);

        var me = await WhoAmIAsync(server, server.AdminKubeconfig);
        Assert.Equal("kubernetes-admin", me["username"]!.ToString());
        Assert.Equal(["system:masters", "system:authenticated"], Groups(me));
    }

    [Fact]
    public async Task A_client_certificate_names_the_user_and_its_groups()
    {
        var me = await WhoAmIAsync(server, server.KubeconfigForUser("jane", "devs", "ops"));
        Assert.Equal("jane", me["username"]!.ToString());
        Assert.Equal(["devs", "ops", "system:authenticated"], Groups(me));
    }

    [Fact]
    public async Task A_certificate_from_another_ca_is_a_401_and_a_valid_token_beside_it_still_authenticates()
    {
        // kube-apiserver takes any client certificate in the handshake and verifies it in authentication: a foreign
        // one is a 401, not a closed connection, and a bearer token that authenticates wins over it.
        using var foreign = SecureApiServerFixture.CreateForeignCa();
        var (cert, key) = SecureApiServerFixture.IssueClientCertificate(foreign, "mallory", "system:masters");
        using var certificate = X509Certificate2.CreateFromPem(cert, key);
        using (var http = server.Http(clientCertificate: certificate))
        {
            using var response = await http.GetAsync("/api/v1/namespaces", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var (code, _, stderr) = await server.KubectlAsync(server.KubeconfigForCertificate("mallory", cert, key), "get", "namespaces");
        Assert.NotEqual(0, code);
        // kubectl words a 401 by where it met it (discovery, or a cached discovery's first request); both begin so.
        Assert.Contains("You must be logged in to the server", stderr, StringComparison.Ordinal);

        using var withToken = server.Http(bearer: SecureApiServerFixture.StaticToken, clientCertificate: certificate);
        Assert.Equal("token-user", (await SelfSubjectReviewAsync(withToken))!["username"]!.ToString());
    }

    // The user a SelfSubjectReview names (null when the request is not allowed).
    internal static async Task<JsonNode?> SelfSubjectReviewAsync(HttpClient http)
    {
        var ct = TestContext.Current.CancellationToken;
        using var content = new StringContent("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", content, ct);
        return response.StatusCode == HttpStatusCode.Created ? JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["status"]!["userInfo"] : null;
    }

    [Fact]
    public async Task Plain_http_to_the_tls_port_gets_the_400_kube_apiserver_gives()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var url = server.Url.Replace("https://", "http://", StringComparison.Ordinal) + "/api/v1/namespaces";
        using var response = await http.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Client sent an HTTP request to an HTTPS server.\n", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        // The port still speaks TLS to the next client.
        using var https = server.Http();
        using var version = await https.GetAsync("/version", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, version.StatusCode);
    }

    [Fact]
    public async Task A_static_token_authenticates_with_its_user_uid_and_groups()
    {
        var kubeconfig = server.KubeconfigForToken(SecureApiServerFixture.StaticToken);
        var me = await WhoAmIAsync(server, kubeconfig);
        Assert.Equal("token-user", me["username"]!.ToString());
        Assert.Equal("uid-42", me["uid"]!.ToString());
        Assert.Equal(["group-a", "group-b", "system:authenticated"], Groups(me));

        var (code, _, stderr) = await server.KubectlAsync(server.KubeconfigForToken("not-a-known-token"), "get", "pods");
        Assert.NotEqual(0, code);
        Assert.Contains("You must be logged in to the server (Unauthorized)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_requests_see_health_and_version_and_nothing_else()
    {
        using var http = server.Http();
        var ct = TestContext.Current.CancellationToken;
        foreach (var path in new[] { "/healthz", "/livez", "/readyz", "/version" })
        {
            using var ok = await http.GetAsync(path, ct);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var api = await http.GetAsync("/api", ct);
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
        var status = JsonNode.Parse(await api.Content.ReadAsStringAsync(ct))!;
        Assert.Equal("forbidden: User \"system:anonymous\" cannot get path \"/api\"", status["message"]!.ToString());
        Assert.Equal("Forbidden", status["reason"]!.ToString());

        using var list = await http.GetAsync("/api/v1/namespaces/default/pods", ct);
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(
            "pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
            JsonNode.Parse(await list.Content.ReadAsStringAsync(ct))!["message"]!.ToString());
    }

    [Fact]
    public async Task Bootstrap_tokens_create_csrs_cannot_read_secrets_and_expire()
    {
        var id = RandomTokenPart(6);
        var secret = RandomTokenPart(16);
        await CreateBootstrapTokenAsync(id, secret, DateTimeOffset.UtcNow.AddHours(1));
        await server.AdminAsync("create", "clusterrolebinding", "bootstrap-" + id, "--clusterrole=system:node-bootstrapper", "--group=system:bootstrappers");

        var kubeconfig = server.KubeconfigForToken($"{id}.{secret}");
        var me = await WhoAmIAsync(server, kubeconfig);
        Assert.Equal("system:bootstrap:" + id, me["username"]!.ToString());
        Assert.Equal(["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token", "system:authenticated"], Groups(me));

        var csrName = "node-csr-" + id;
        await server.KubectlOkAsync(kubeconfig, "create", "-f", WriteCsr(csrName, "system:node:worker-" + id, "system:nodes"));
        var stored = JsonNode.Parse(await server.AdminAsync("get", "csr", csrName, "-o", "json"))!;
        Assert.Equal("system:bootstrap:" + id, stored["spec"]!["username"]!.ToString());

        var (code, _, stderr) = await server.KubectlAsync(kubeconfig, "get", "secrets", "-n", "kube-system");
        Assert.NotEqual(0, code);
        Assert.Contains($"secrets is forbidden: User \"system:bootstrap:{id}\" cannot list resource \"secrets\" in API group \"\" in the namespace \"kube-system\"", stderr, StringComparison.Ordinal);

        var expiredId = RandomTokenPart(6);
        await CreateBootstrapTokenAsync(expiredId, secret, DateTimeOffset.UtcNow.AddHours(-1));
        var (expiredCode, _, expiredErr) = await server.KubectlAsync(server.KubeconfigForToken($"{expiredId}.{secret}"), "get", "csr");
        Assert.NotEqual(0, expiredCode);
        Assert.Contains("Unauthorized", expiredErr, StringComparison.Ordinal);

        var (wrongCode, _, wrongErr) = await server.KubectlAsync(server.KubeconfigForToken($"{id}.{RandomTokenPart(16)}"), "get", "csr");
        Assert.NotEqual(0, wrongCode);
        Assert.Contains("Unauthorized", wrongErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_create_token_gives_a_service_account_token_that_dies_with_its_bound_pod()
    {
        var ns = server.NewNamespace();
        await server.AdminAsync("create", "namespace", ns);
        await server.AdminAsync("create", "serviceaccount", "bot", "-n", ns);
        var token = (await server.AdminAsync("create", "token", "bot", "-n", ns)).Trim();

        var me = await WhoAmIAsync(server, server.KubeconfigForToken(token));
        Assert.Equal($"system:serviceaccount:{ns}:bot", me["username"]!.ToString());
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"], Groups(me));

        await server.AdminAsync("run", "holder", "-n", ns, "--image=busybox", "--overrides={\"spec\":{\"serviceAccountName\":\"bot\"}}");
        var bound = (await server.AdminAsync("create", "token", "bot", "-n", ns, "--bound-object-kind=Pod", "--bound-object-name=holder")).Trim();
        var boundKubeconfig = server.KubeconfigForToken(bound);
        var boundMe = await WhoAmIAsync(server, boundKubeconfig);
        Assert.Equal("holder", boundMe["extra"]!["authentication.kubernetes.io/pod-name"]![0]!.ToString());

        await server.AdminAsync("delete", "pod", "holder", "-n", ns, "--grace-period=0", "--force");
        var refused = await TestSupport.Eventually.WaitAsync(
            async () => await server.KubectlAsync(boundKubeconfig, "auth", "whoami") is var r && r.ExitCode != 0 ? (true, r.Stderr) : (false, ""),
            TimeSpan.FromSeconds(10),
            "the bound token to stop working");
        Assert.Contains("Unauthorized", refused, StringComparison.Ordinal);

        // The unbound token lives as long as its service account.
        await server.AdminAsync("delete", "serviceaccount", "bot", "-n", ns);
        Assert.Contains("Unauthorized", (await server.KubectlAsync(server.KubeconfigForToken(token), "auth", "whoami")).Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_review_and_issuer_discovery_verify_a_service_account_token()
    {
        var ns = server.NewNamespace();
        await server.AdminAsync("create", "namespace", ns);
        await server.AdminAsync("create", "serviceaccount", "reader", "-n", ns);
        var token = (await server.AdminAsync("create", "token", "reader", "-n", ns)).Trim();
        var ct = TestContext.Current.CancellationToken;

        using var admin = server.AdminHttp();
        var review = new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenReview", ["spec"] = new JsonObject { ["token"] = token } };
        using var reviewed = await admin.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"), ct);
        var status = JsonNode.Parse(await reviewed.Content.ReadAsStringAsync(ct))!["status"]!;
        Assert.True(status["authenticated"]!.GetValue<bool>());
        Assert.Equal($"system:serviceaccount:{ns}:reader", status["user"]!["username"]!.ToString());

        // Service accounts may read the issuer's discovery documents; the token's signature checks out with the JWKS.
        using var asAccount = server.Http(bearer: token);
        var configuration = JsonNode.Parse(await asAccount.GetStringAsync("/.well-known/openid-configuration", ct))!;
        Assert.Equal("https://kubernetes.default.svc.cluster.local", configuration["issuer"]!.ToString());
        Assert.Equal(["RS256"], configuration["id_token_signing_alg_values_supported"]!.AsArray().Select(a => a!.ToString()));
        var jwks = JsonNode.Parse(await asAccount.GetStringAsync("/openid/v1/jwks", ct))!;

        var parts = token.Split('.');
        var header = JsonNode.Parse(FromBase64Url(parts[0]))!;
        var key = jwks["keys"]!.AsArray().Single(k => k!["kid"]!.ToString() == header["kid"]!.ToString())!;
        using var rsa = RSA.Create(new RSAParameters { Modulus = FromBase64Url(key["n"]!.ToString()), Exponent = FromBase64Url(key["e"]!.ToString()) });
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), FromBase64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        using var anonymous = server.Http();
        using var refused = await anonymous.GetAsync("/openid/v1/jwks", ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    private async Task CreateBootstrapTokenAsync(string id, string secret, DateTimeOffset expiration)
    {
        var manifest = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "bootstrap-token-" + id, ["namespace"] = "kube-system" },
            ["type"] = "bootstrap.kubernetes.io/token",
            ["stringData"] = new JsonObject
            {
                ["token-id"] = id,
                ["token-secret"] = secret,
                ["expiration"] = expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["usage-bootstrap-authentication"] = "true",
                ["usage-bootstrap-signing"] = "true",
                ["auth-extra-groups"] = "system:bootstrappers:kubeadm:default-node-token",
            },
        };
        await server.AdminAsync("create", "-f", Write("token-" + id, manifest.ToJsonString()));
    }

    private string WriteCsr(string name, string commonName, string organization)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}, O={organization}", key, HashAlgorithmName.SHA256);
        var pem = PemEncoding.WriteString("CERTIFICATE REQUEST", request.CreateSigningRequest());
        var manifest = new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["request"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(pem)),
                ["signerName"] = "kubernetes.io/kube-apiserver-client-kubelet",
                ["usages"] = new JsonArray("digital signature", "client auth"),
            },
        };
        return Write(name, manifest.ToJsonString());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(server.CertDir, "..", name + ".json");
        File.WriteAllText(path, text);
        return path;
    }

    private static string RandomTokenPart(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return new string([.. Enumerable.Range(0, length).Select(_ => alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)])]);
    }

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        return Convert.FromBase64String(padded);
    }
}
