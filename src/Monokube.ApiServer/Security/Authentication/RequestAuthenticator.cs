using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Security.Pki;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Security.Authentication;

/// <summary>
/// Authenticates a request as kube-apiserver's union of authenticators does, in its order: a front proxy's
/// certificate with the user in request headers, a client certificate (CN = user, O = groups; verified here, not in
/// the TLS handshake, so a bad one is a 401 rather than a closed connection), then a bearer token (static token
/// file, bootstrap token, service-account JWT). The first that names a user wins; one that fails (an expired or
/// unknown certificate, a token nobody accepts) makes the request a 401 unless a later one names a user; a request
/// that neither names nor fails anyone is anonymous.
/// </summary>
public sealed partial class RequestAuthenticator(
    IObjectStore store,
    TimeProvider time,
    TokenFileAuthenticator? tokenFile,
    bool bootstrapTokens,
    ServiceAccountTokens? serviceAccounts,
    bool anonymous,
    string? loopbackToken = null,
    RequestHeaderAuthenticator? requestHeader = null,
    ClientCertificateTrust? clientTrust = null)
{
    /// <summary>kube-apiserver's warning for "Bearer  token" (two spaces): the header is ignored.</summary>
    public const string ExtraSpaceWarning = "299 - \"the provided Authorization header contains extra space before the bearer token, and is ignored\"";

    /// <summary>The user of the server's own loopback clients (its controllers), as kube-apiserver's loopback client.</summary>
    public static UserInfo Loopback { get; } = new("system:apiserver", null, [UserInfo.Masters, UserInfo.AllAuthenticated], new Dictionary<string, IReadOnlyList<string>>());

    public async ValueTask<AuthenticationResult> AuthenticateAsync(HttpContext context)
    {
        string? failure = null;
        if (context.Connection.ClientCertificate is { } certificate)
        {
            var expiry = Expiry(certificate);
            if (requestHeader is not null)
            {
                var proxied = expiry is null ? requestHeader.Authenticate(certificate, context.Request.Headers) : AuthenticationResult.Fail(expiry);
                if (proxied.User is { } user)
                {
                    return AuthenticationResult.Success(user.WithAuthenticatedGroup());
                }

                failure ??= proxied.Failure;
            }

            var direct = expiry is not null ? AuthenticationResult.Fail(expiry)
                : clientTrust is not null && !clientTrust.SignedByClientCa(certificate) ? AuthenticationResult.Fail($"verifying certificate {Describe(certificate)} failed: x509: certificate signed by unknown authority or not for client authentication")
                : FromCertificate(certificate) is { } named ? AuthenticationResult.Success(named.WithAuthenticatedGroup())
                : AuthenticationResult.NotApplicable;
            if (direct.User is not null)
            {
                return direct;
            }

            failure ??= direct.Failure;
        }

        if (BearerToken(context) is { } token)
        {
            var result = await AuthenticateTokenAsync(token, serviceAccounts?.EffectiveAudiences() ?? [], context.RequestAborted);
            if (result.User is not null)
            {
                return result;
            }

            failure ??= result.Failure ?? "invalid bearer token";
        }

        if (failure is not null)
        {
            return AuthenticationResult.Fail(failure);
        }

        return anonymous ? AuthenticationResult.Success(UserInfo.AnonymousUser) : AuthenticationResult.Fail("no credentials");
    }

    // The bearer token as kube reads the header: trimmed, split on single spaces, "bearer" in any case, the first word
    // after it. "Bearer  token" (an empty first word) is ignored, with kube's warning.
    private static string? BearerToken(HttpContext context)
    {
        var headers = context.Request.Headers.Authorization;
        var value = headers.Count > 0 ? (headers[0] ?? "").Trim() : "";
        if (value.Length == 0)
        {
            return null;
        }

        var parts = value.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].Equals("bearer", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (parts[1].Length == 0)
        {
            if (parts.Length == 3)
            {
                context.Response.Headers.Append("Warning", ExtraSpaceWarning);
            }

            return null;
        }

        return parts[1];
    }

    // Checked on every request, as kube-apiserver verifies the certificate of each: a connection opened with a
    // certificate that has since expired does not keep its user.
    private string? Expiry(X509Certificate2 certificate)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var notBefore = certificate.NotBefore.ToUniversalTime();
        var notAfter = certificate.NotAfter.ToUniversalTime();
        if (now >= notBefore && now <= notAfter)
        {
            return null;
        }

        var when = now > notAfter ? "after " + Rfc3339(notAfter) : "before " + Rfc3339(notBefore);
        return $"verifying certificate {Describe(certificate)} failed: x509: certificate has expired or is not yet valid: current time {Rfc3339(now)} is {when}";
    }

    private static string Describe(X509Certificate2 certificate) =>
        $"SN={certificate.SerialNumber}, CN={CertificateSubject.CommonName(certificate)}";

    /// <summary>Authenticates a bearer token (also for TokenReview); NotApplicable when no authenticator knows it.</summary>
    public async ValueTask<AuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string> audiences, CancellationToken cancellationToken)
    {
        if (loopbackToken is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(loopbackToken)))
        {
            return AuthenticationResult.Success(Loopback);
        }

        if (tokenFile?.Authenticate(token) is { Handled: true } fromFile)
        {
            return AuthenticationResult.Success(fromFile.User!.WithAuthenticatedGroup());
        }

        if (bootstrapTokens && await BootstrapTokenAsync(token, cancellationToken) is { Handled: true } bootstrap)
        {
            return bootstrap;
        }

        if (serviceAccounts is not null && token.Count(c => c == '.') == 2)
        {
            return ServiceAccountTokens.PeekIssuer(token) == ServiceAccountTokens.LegacyIssuer
                ? await LegacyServiceAccountTokenAsync(token, audiences, cancellationToken)
                : await ServiceAccountTokenAsync(token, audiences, cancellationToken);
        }

        return AuthenticationResult.NotApplicable;
    }

    /// <summary>The user a client certificate names (CN = user, O = groups); null without a common name, as kube's x509 authenticator.</summary>
    public static UserInfo? FromCertificate(X509Certificate2 certificate)
    {
        var (name, organizations) = CertificateSubject.Read(certificate);
        return name.Length == 0 ? null : new UserInfo(name, null, organizations, new Dictionary<string, IReadOnlyList<string>>());
    }

    // Bootstrap tokens: "<id>.<secret>" with id [a-z0-9]{6} and secret [a-z0-9]{16}, stored in kube-system Secrets.
    private async ValueTask<AuthenticationResult> BootstrapTokenAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length != 23 || token[6] != '.' || !token.Where((c, i) => i != 6).All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            return AuthenticationResult.NotApplicable;
        }

        var id = token[..6];
        var stored = await store.GetAsync("/secrets/kube-system/bootstrap-token-" + id, cancellationToken);
        if (!stored.IsOk || JsonBodyParser.Parse(stored.Object!.Value) is not JsonObject secret || secret.GetString("type") != "bootstrap.kubernetes.io/token")
        {
            return AuthenticationResult.Fail("unknown bootstrap token");
        }

        string? Data(string key) => secret.Find("data")?[key]?.ToString() is { } encoded ? Decode(encoded) : null;
        if (Data("token-id") != id || Data("token-secret") is not { } expected
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(token[7..])))
        {
            return AuthenticationResult.Fail("invalid bootstrap token");
        }

        if (Data("usage-bootstrap-authentication") != "true")
        {
            return AuthenticationResult.Fail("the bootstrap token may not be used for authentication");
        }

        if (Data("expiration") is { Length: > 0 } expiration && (!KubeTime.TryParse(expiration, out var expires) || expires <= time.GetUtcNow()))
        {
            return AuthenticationResult.Fail("the bootstrap token has expired");
        }

        if (secret.GetString("metadata.deletionTimestamp") is not null)
        {
            return AuthenticationResult.Fail("the bootstrap token is being deleted");
        }

        // Extra groups must each be system:bootstrappers:<something>; one that is not refuses the whole token, as
        // kube does (a token may not lift itself into system:masters or system:nodes). Sorted and unique, as kube's.
        var groups = new SortedSet<string>(StringComparer.Ordinal) { "system:bootstrappers" };
        if (Data("auth-extra-groups") is { Length: > 0 } extra)
        {
            foreach (var group in extra.Split(','))
            {
                if (!BootstrapGroupName().IsMatch(group))
                {
                    return AuthenticationResult.Fail($"bootstrap token {id}: auth-extra-groups \"{group}\" does not match {BootstrapGroupName()}");
                }

                groups.Add(group);
            }
        }

        return AuthenticationResult.Success(new UserInfo("system:bootstrap:" + id, null, [.. groups], new Dictionary<string, IReadOnlyList<string>>()).WithAuthenticatedGroup());
    }

    private async ValueTask<AuthenticationResult> ServiceAccountTokenAsync(string token, IReadOnlyList<string> audiences, CancellationToken cancellationToken)
    {
        var (claims, error) = serviceAccounts!.Verify(token, audiences, time.GetUtcNow());
        if (claims is null)
        {
            return AuthenticationResult.Fail(error!);
        }

        var k8s = claims["kubernetes.io"] as JsonObject;
        var ns = k8s?.GetString("namespace");
        var saName = k8s?.GetString("serviceaccount.name");
        var saUid = k8s?.GetString("serviceaccount.uid");
        if (ns is null || saName is null)
        {
            return AuthenticationResult.Fail("the token names no service account");
        }

        var account = await store.GetAsync($"/serviceaccounts/{ns}/{saName}", cancellationToken);
        if (!account.IsOk || (saUid is not null && StoredValueFormat.ReadUid(account.Object!.Value) != saUid))
        {
            return AuthenticationResult.Fail($"service account {ns}/{saName} has been deleted");
        }

        var extra = new Dictionary<string, IReadOnlyList<string>>();
        if (claims["jti"]?.ToString() is { } jti)
        {
            extra["authentication.kubernetes.io/credential-id"] = ["JTI=" + jti];
        }

        foreach (var (kind, prefix, key) in new[] { ("pod", "/pods/" + ns + "/", "pod"), ("secret", "/secrets/" + ns + "/", "secret"), ("node", "/minions/", "node") })
        {
            if (k8s?[key] is not JsonObject bound)
            {
                continue;
            }

            var boundName = bound.GetString("name") ?? "";
            var stored = await store.GetAsync(prefix + boundName, cancellationToken);
            if (!stored.IsOk || StoredValueFormat.ReadUid(stored.Object!.Value) != bound.GetString("uid"))
            {
                return AuthenticationResult.Fail($"the {kind} {boundName} the token is bound to no longer exists");
            }

            if (kind == "pod" && JsonBodyParser.Parse(stored.Object.Value) is JsonObject pod && KubeTime.TryParse(pod.GetString("metadata.deletionTimestamp"), out var deleting) && deleting < time.GetUtcNow())
            {
                return AuthenticationResult.Fail($"the pod {boundName} the token is bound to is being deleted");
            }

            extra[$"authentication.kubernetes.io/{kind}-name"] = [boundName];
            extra[$"authentication.kubernetes.io/{kind}-uid"] = [bound.GetString("uid") ?? ""];
        }

        var user = new UserInfo($"system:serviceaccount:{ns}:{saName}", saUid, ["system:serviceaccounts", "system:serviceaccounts:" + ns], extra);
        return AuthenticationResult.Success(user.WithAuthenticatedGroup());
    }

    // A Secret's token, as kube's legacy validator checks it: the Secret still exists (not being deleted, not
    // invalidated) and holds this very token, and the service account still exists with the uid the token names.
    private async ValueTask<AuthenticationResult> LegacyServiceAccountTokenAsync(string token, IReadOnlyList<string> audiences, CancellationToken cancellationToken)
    {
        var (claims, error) = serviceAccounts!.VerifyLegacy(token);
        if (claims is null)
        {
            return AuthenticationResult.Fail(error!);
        }

        if (!serviceAccounts.EffectiveAudiences().Intersect(audiences, StringComparer.Ordinal).Any())
        {
            return AuthenticationResult.Fail("token audiences are not accepted");
        }

        string Claim(string name) => claims["kubernetes.io/serviceaccount/" + name]?.ToString() ?? "";
        var (ns, secretName, saName, saUid) = (Claim("namespace"), Claim("secret.name"), Claim("service-account.name"), Claim("service-account.uid"));
        if (ns.Length == 0 || secretName.Length == 0 || saName.Length == 0 || saUid.Length == 0)
        {
            return AuthenticationResult.Fail("the token lacks a service account claim");
        }

        if (claims["sub"]?.ToString() != $"system:serviceaccount:{ns}:{saName}")
        {
            return AuthenticationResult.Fail("sub claim is invalid");
        }

        var stored = await store.GetAsync($"/secrets/{ns}/{secretName}", cancellationToken);
        if (!stored.IsOk || JsonBodyParser.Parse(stored.Object!.Value) is not JsonObject secret || secret.GetString("metadata.deletionTimestamp") is not null
            || (secret.Find("metadata.labels") as JsonObject)?["kubernetes.io/legacy-token-invalid-since"] is not null)
        {
            return AuthenticationResult.Fail("Token has been invalidated");
        }

        if (secret.Find("data")?["token"]?.ToString() is not { } stored64 || Decode(stored64) is not { } expected
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(token)))
        {
            return AuthenticationResult.Fail("Token does not match server's copy");
        }

        var account = await store.GetAsync($"/serviceaccounts/{ns}/{saName}", cancellationToken);
        if (!account.IsOk || JsonBodyParser.Parse(account.Object!.Value) is not JsonObject sa || sa.GetString("metadata.deletionTimestamp") is not null)
        {
            return AuthenticationResult.Fail($"ServiceAccount {ns}/{saName} has been deleted");
        }

        if (sa.GetString("metadata.uid") != saUid)
        {
            return AuthenticationResult.Fail($"ServiceAccount UID ({sa.GetString("metadata.uid")}) does not match claim ({saUid})");
        }

        var user = new UserInfo($"system:serviceaccount:{ns}:{saName}", saUid, ["system:serviceaccounts", "system:serviceaccounts:" + ns], new Dictionary<string, IReadOnlyList<string>>());
        return AuthenticationResult.Success(user.WithAuthenticatedGroup());
    }

    private static string? Decode(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex("^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$")]
    private static partial Regex BootstrapGroupName();

    private static string Rfc3339(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
