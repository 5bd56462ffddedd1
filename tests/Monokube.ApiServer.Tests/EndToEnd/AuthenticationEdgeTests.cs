using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// The edges of authentication where kube-apiserver v1.26 was found to decide otherwise: certificates without a
/// common name or for another usage, the Authorization header's exact form, impersonation headers without a user,
/// bootstrap tokens that ask for groups outside system:bootstrappers:.
/// </summary>
public sealed class AuthenticationEdgeTests(SecureApiServerFixture server) : IClassFixture<SecureApiServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_certificate_without_a_common_name_or_for_server_auth_only_does_not_authenticate()
    {
        // This server also takes front proxies: a certificate the request-header CA did not sign is a failure of
        // that authenticator, so a certificate that names nobody is a 401 here, as in kube-apiserver (without
        // request-header authentication it is anonymous: RequestAuthenticatorTests).
        using var ca = X509Certificate2.CreateFromPemFile(Path.Combine(server.CertDir, "ca.crt"), Path.Combine(server.CertDir, "ca.key"));
        using (var nameless = Issue(ca, "O=system:masters", "1.3.6.1.5.5.7.3.2"))
        using (var http = server.Http(clientCertificate: nameless))
        {
            using var response = await http.GetAsync("/api/v1/namespaces", Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var serverOnly = Issue(ca, "CN=bob, O=system:masters", "1.3.6.1.5.5.7.3.1");
        using var client = server.Http(clientCertificate: serverOnly);
        using var refused = await client.GetAsync("/api/v1/namespaces", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Theory]
    [InlineData("Bearer {0}", "token-user")]
    [InlineData("bearer {0}", "token-user")]
    [InlineData("Bearer {0} and more words", "token-user")]
    [InlineData("  Bearer {0}  ", "token-user")]
    [InlineData("Bearer  {0}", "system:anonymous")]
    [InlineData("Bearer\t{0}", "system:anonymous")]
    [InlineData("Basic {0}", "system:anonymous")]
    public async Task The_authorization_header_is_read_as_kube_reads_it(string header, string user)
    {
        using var http = server.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/kube-system/secrets");
        request.Headers.TryAddWithoutValidation("Authorization", string.Format(System.Globalization.CultureInfo.InvariantCulture, header, SecureApiServerFixture.StaticToken));
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains($"User \"{user}\"", JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["message"]!.ToString(), StringComparison.Ordinal);
        var warned = response.Headers.TryGetValues("Warning", out var warnings) && warnings.Any(w => w.Contains("extra space before the bearer token", StringComparison.Ordinal));
        Assert.Equal(header.StartsWith("Bearer  ", StringComparison.Ordinal), warned);
    }

    [Fact]
    public async Task Impersonating_groups_without_a_user_is_kube_apiservers_internal_error()
    {
        using var http = server.AdminHttp();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/pods");
        request.Headers.Add("Impersonate-Group", "a");
        request.Headers.Add("Impersonate-Uid", "u-1");
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(
            "Internal Server Error: \"/api/v1/namespaces/default/pods\": requested [{Group  a    } {UID  u-1  authentication.k8s.io/v1  }] without impersonating a user\n",
            await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("system:masters")]
    [InlineData("system:nodes")]
    [InlineData("system:bootstrappers")]
    [InlineData("system:bootstrappers:")]
    [InlineData("system:bootstrappers:ok,system:masters")]
    [InlineData("system:bootstrappers:ok,")]
    [InlineData("system:bootstrappers:Upper")]
    public async Task A_bootstrap_token_asking_for_groups_outside_system_bootstrappers_is_refused(string extraGroups)
    {
        var token = await BootstrapTokenAsync(extraGroups);
        using var http = server.Http(bearer: token);
        using var response = await http.GetAsync("/api/v1/namespaces", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_bootstrap_tokens_extra_groups_are_sorted_and_unique()
    {
        var token = await BootstrapTokenAsync("system:bootstrappers:z,system:bootstrappers:a,system:bootstrappers:z");
        using var http = server.Http(bearer: token);
        var user = await AuthenticationTests.SelfSubjectReviewAsync(http);
        Assert.NotNull(user);
        Assert.Equal(
            ["system:bootstrappers", "system:bootstrappers:a", "system:bootstrappers:z", "system:authenticated"],
            user["groups"]!.AsArray().Select(g => g!.ToString()));
    }

    private async Task<string> BootstrapTokenAsync(string extraGroups)
    {
        var id = Random(6);
        var secret = Random(16);
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
                ["usage-bootstrap-authentication"] = "true",
                ["auth-extra-groups"] = extraGroups,
            },
        };
        using var admin = server.AdminHttp();
        using var content = new StringContent(manifest.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await admin.PostAsync("/api/v1/namespaces/kube-system/secrets", content, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id + "." + secret;
    }

    private static string Random(int length) =>
        new([.. RandomNumberGenerator.GetBytes(length).Select(b => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36])]);

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, string usage)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
