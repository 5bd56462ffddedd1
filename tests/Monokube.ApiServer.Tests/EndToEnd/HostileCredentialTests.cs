using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// Hostile credentials: malformed and random Authorization headers, JWT-shaped garbage, bootstrap-shaped tokens,
/// impersonation and front-proxy headers from clients that may not send them, and client certificates of every
/// shape. None may authenticate as anyone it is not, every answer is one kube gives (401, 403, or the impersonation
/// 500), and the server keeps serving.
/// </summary>
public sealed class HostileCredentialTests(SecureApiServerFixture server) : IClassFixture<SecureApiServerFixture>
{
    private const string Privileged = "/api/v1/namespaces/kube-system/secrets";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static IEnumerable<string> Headers()
    {
        var random = new Random(20261208);
        string Junk(int length) => new([.. Enumerable.Range(0, length).Select(_ => (char)random.Next(33, 127))]);
        string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = B64("""{"alg":"RS256","kid":"x"}""");
        yield return "Bearer";
        yield return "Bearer ";
        yield return "Bearer  ";
        yield return "Bearer a.b.c";
        yield return "Bearer ...";
        yield return "Bearer " + new string('a', 64 * 1024);
        yield return "Bearer " + new string('.', 2000);
        yield return $"Bearer {header}.{B64("not json")}.sig";
        yield return $"Bearer {header}.{B64("[1,2,3]")}.sig";
        yield return $"Bearer {header}.{B64("""{"iss":"kubernetes/serviceaccount"}""")}.sig";
        yield return $"Bearer {header}.{B64("""{"iss":"https://kubernetes.default.svc.cluster.local","exp":"soon","aud":7,"kubernetes.io":"x"}""")}.sig";
        yield return $"Bearer {B64("""{"alg":"none"}""")}.{B64("""{"iss":"https://kubernetes.default.svc.cluster.local","sub":"system:serviceaccount:kube-system:default"}""")}.";
        yield return "Bearer ABCDEF.0123456789ABCDEF";
        yield return "Bearer abcdef.0123456789abcde";
        yield return "Bearer abcdef.0123456789abcdef0";
        yield return "Bearer abcdef:0123456789abcdef";
        yield return "Basic YWRtaW46YWRtaW4=";
        yield return "Negotiate " + Junk(40);
        for (var i = 0; i < 40; i++)
        {
            yield return "Bearer " + Junk(random.Next(1, 300));
            yield return Junk(random.Next(1, 100));
        }
    }

    [Fact]
    public async Task Malformed_authorization_headers_never_authenticate()
    {
        var failures = new List<string>();
        using var http = server.Http();
        foreach (var value in Headers())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Privileged);
            if (!request.Headers.TryAddWithoutValidation("Authorization", value))
            {
                continue;
            }

            using var response = await http.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            var code = (int)response.StatusCode;
            if (code is not (401 or 403) || JsonNode.Parse(text)?["kind"]?.ToString() != "Status")
            {
                failures.Add($"{Describe(value)}: {code} {text[..Math.Min(200, text.Length)]}");
            }
        }

        Assert.Empty(failures);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Impersonation_and_front_proxy_headers_from_clients_that_may_not_send_them_change_nobody()
    {
        (string Name, string Value)[][] sets =
        [
            [("Impersonate-User", "system:admin")],
            [("Impersonate-User", "system:admin"), ("Impersonate-Group", "system:masters")],
            [("Impersonate-User", new string('u', 10_000))],
            [("Impersonate-User", "x"), ("Impersonate-Extra-%zz", "v")],
            [("Impersonate-User", "x"), ("Impersonate-Extra-" + new string('k', 2000), "v")],
            [("Impersonate-User", "x"), ("Impersonate-Uid", "")],
            [("Impersonate-Group", "")],
            [("Impersonate-Extra-scopes", "a")],
            [("X-Remote-User", "system:admin"), ("X-Remote-Group", "system:masters")],
            [("X-Remote-User", "system:admin"), ("X-Remote-Extra-Scopes", "all")],
        ];
        var failures = new List<string>();
        foreach (var token in new string?[] { null, SecureApiServerFixture.StaticToken })
        {
            using var http = server.Http(bearer: token);
            foreach (var set in sets)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, Privileged);
                foreach (var (name, value) in set)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }

                using var response = await http.SendAsync(request, Ct);
                var code = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync(Ct);
                var acceptable = code is 401 or 403 || (code == 500 && set.All(h => !h.Name.Equals("Impersonate-User", StringComparison.OrdinalIgnoreCase)) && text.StartsWith("Internal Server Error: ", StringComparison.Ordinal));
                if (!acceptable)
                {
                    failures.Add($"{(token is null ? "anonymous" : "token-user")} with {string.Join(", ", set.Select(h => h.Name + ": " + Describe(h.Value)))}: {code} {text[..Math.Min(200, text.Length)]}");
                }
            }
        }

        Assert.Empty(failures);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Client_certificates_of_every_shape_authenticate_only_as_the_client_ca_says()
    {
        using var ca = X509Certificate2.CreateFromPemFile(Path.Combine(server.CertDir, "ca.crt"), Path.Combine(server.CertDir, "ca.key"));
        using var foreign = SecureApiServerFixture.CreateForeignCa();
        var now = DateTimeOffset.UtcNow;
        var shapes = new (string What, X509Certificate2 Certificate)[]
        {
            ("another CA's", Issue(foreign, "CN=mallory, O=system:masters", now.AddHours(-1), now.AddDays(1), clientAuth: true)),
            ("expired", Issue(ca, "CN=old, O=system:masters", now.AddDays(-3), now.AddDays(-1), clientAuth: true)),
            ("not yet valid", Issue(ca, "CN=early, O=system:masters", now.AddDays(1), now.AddDays(3), clientAuth: true)),
            ("for server authentication only", Issue(ca, "CN=srv, O=system:masters", now.AddHours(-1), now.AddDays(1), clientAuth: false)),
            ("without a common name", Issue(ca, "O=system:masters", now.AddHours(-1), now.AddDays(1), clientAuth: true)),
            ("self-signed", SelfSigned("CN=self, O=system:masters")),
            ("the front-proxy CA itself", X509Certificate2.CreateFromPem(server.FrontProxyCa.ExportCertificatePem(), server.FrontProxyCa.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem())),
        };
        var failures = new List<string>();
        foreach (var (what, certificate) in shapes)
        {
            using (certificate)
            using (var http = server.Http(clientCertificate: certificate))
            {
                using var response = await http.GetAsync(Privileged, Ct);
                if ((int)response.StatusCode is not (401 or 403))
                {
                    failures.Add($"{what}: {(int)response.StatusCode}");
                }
            }
        }

        Assert.Empty(failures);
        await AssertStillServesAsync();
    }

    private async Task AssertStillServesAsync()
    {
        using var admin = server.AdminHttp();
        using var response = await admin.GetAsync(Privileged, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string Describe(string value) => value.Length > 60 ? value[..60] + $"... ({value.Length} chars)" : value;

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, bool clientAuth)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(clientAuth ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;

        // Signed through a generator, which (unlike Create with the CA certificate) lets the leaf's validity reach
        // outside the CA's: an expired certificate of a CA made a minute ago.
        using var caKey = ca.GetRSAPrivateKey()!;
        using var cert = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1), notBefore, notAfter, serial);
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
