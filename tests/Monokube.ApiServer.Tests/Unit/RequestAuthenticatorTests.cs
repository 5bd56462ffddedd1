using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Monokube.ApiServer.Security.Authentication;
using Monokube.ApiServer.Security.Pki;
using Monokube.Storage.Memory;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>
/// The authenticator's decisions as kube-apiserver v1.26 makes them (checked against it): client certificates
/// verified here rather than in the handshake, service-account JWT times with a minute's leeway, a token without
/// audiences standing for the API's, and the union's rule that a failure is a 401 only when nobody names a user.
/// </summary>
public sealed class RequestAuthenticatorTests : IAsyncDisposable
{
    private const string Issuer = "https://kubernetes.default.svc";
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 12, 0, 0, TimeSpan.Zero);

    private readonly MemoryObjectStore _store = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly RSA _signingKey = RSA.Create(2048);
    private readonly X509Certificate2 _ca = CreateCa("client-ca");
    private readonly X509Certificate2 _otherCa = CreateCa("other-ca");

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _signingKey.Dispose();
        _ca.Dispose();
        _otherCa.Dispose();
    }

    [Fact]
    public async Task A_certificate_without_a_common_name_is_anonymous_without_front_proxies()
    {
        using var nameless = Issue(_ca, "O=system:masters", clientAuth: true, Now.AddDays(-1), Now.AddDays(1));
        var result = await Authenticator().AuthenticateAsync(Request(nameless));
        Assert.Equal("system:anonymous", result.User?.Name);
    }

    [Fact]
    public async Task A_certificate_that_fails_verification_is_a_failure_unless_a_token_names_a_user()
    {
        using var foreign = Issue(_otherCa, "CN=mallory, O=system:masters", clientAuth: true, Now.AddDays(-1), Now.AddDays(1));
        using var expired = Issue(_ca, "CN=old, O=system:masters", clientAuth: true, Now.AddDays(-3), Now.AddDays(-1));
        using var serverOnly = Issue(_ca, "CN=bob, O=system:masters", clientAuth: false, Now.AddDays(-1), Now.AddDays(1));
        var authenticator = Authenticator();
        foreach (var certificate in new[] { foreign, expired, serverOnly })
        {
            var refused = await authenticator.AuthenticateAsync(Request(certificate));
            Assert.Null(refused.User);
            Assert.NotNull(refused.Failure);
        }

        var token = await TokenAsync();
        var withToken = await authenticator.AuthenticateAsync(Request(expired, "Bearer " + token));
        Assert.Equal("system:serviceaccount:default:probe", withToken.User?.Name);
    }

    [Fact]
    public async Task Service_account_tokens_are_checked_with_kubes_leeway_and_must_expire()
    {
        var authenticator = Authenticator();
        var now = Now.ToUnixTimeSeconds();
        async Task<bool> Accepted(Action<JsonObject> change) =>
            (await authenticator.AuthenticateAsync(Request(null, "Bearer " + await TokenAsync(change)))).User is not null;

        Assert.True(await Accepted(_ => { }));
        Assert.True(await Accepted(c => c["exp"] = now - 30));
        Assert.False(await Accepted(c => c["exp"] = now - 90));
        Assert.False(await Accepted(c => c.Remove("exp")));
        Assert.True(await Accepted(c => c["nbf"] = now + 30));
        Assert.False(await Accepted(c => c["nbf"] = now + 90));
        Assert.True(await Accepted(c => c.Remove("aud")));
        Assert.False(await Accepted(c => c["aud"] = new JsonArray("someone-else")));
    }

    private RequestAuthenticator Authenticator() => new(
        _store, _time, tokenFile: null, bootstrapTokens: false,
        new ServiceAccountTokens(new Lazy<RSA>(() => _signingKey), () => [], Issuer, [Issuer]),
        anonymous: true, clientTrust: new ClientCertificateTrust([_ca], []));

    private static DefaultHttpContext Request(X509Certificate2? certificate, string? authorization = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.ClientCertificate = certificate;
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        return context;
    }

    // A token of default/probe (the account is created in the store first), its claims changed as asked.
    private async Task<string> TokenAsync(Action<JsonObject>? change = null)
    {
        var uid = "3c6a1b2e-0000-4000-8000-000000000001";
        await _store.CreateAsync("/serviceaccounts/default/probe", Encoding.UTF8.GetBytes($$"""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"probe","namespace":"default","uid":"{{uid}}"} }"""));
        var now = Now.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = "system:serviceaccount:default:probe",
            ["aud"] = new JsonArray(Issuer),
            ["exp"] = now + 600,
            ["iat"] = now,
            ["nbf"] = now,
            ["kubernetes.io"] = new JsonObject { ["namespace"] = "default", ["serviceaccount"] = new JsonObject { ["name"] = "probe", ["uid"] = uid } },
        };
        change?.Invoke(claims);
        var header = ServiceAccountTokens.Base64Url(Encoding.UTF8.GetBytes($$"""{"alg":"RS256","kid":"{{ServiceAccountTokens.KeyId(_signingKey)}}"}"""));
        var input = header + "." + ServiceAccountTokens.Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return input + "." + ServiceAccountTokens.Base64Url(_signingKey.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        return request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool clientAuth, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(clientAuth ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var cert = request.Create(ca, notBefore, notAfter, serial);
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
