using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Security.Authentication;

/// <summary>
/// Issues and verifies service-account tokens: RS256 JWTs with the claims kube-apiserver's TokenRequest issues
/// (iss, sub, aud, exp, iat, nbf, jti, and kubernetes.io with the namespace, service account and bound object).
/// The key id is kube's: base64url of the SHA-256 of the public key's DER (PKIX) form.
/// </summary>
public sealed class ServiceAccountTokens
{
    private readonly Lazy<RSA>? _signingKey;

    // Key ids need the public keys, and a key made for this process (plain HTTP) is only created when first used:
    // working them out on first use keeps OpenSSL and RSA key generation off the start-up path.
    private readonly Lazy<(Dictionary<string, RSA> Verification, string? SigningKeyId)> _keys;

    public ServiceAccountTokens(Lazy<RSA>? signingKey, Func<IReadOnlyList<RSA>> verificationKeys, string issuer, IReadOnlyList<string> apiAudiences)
    {
        _signingKey = signingKey;
        Issuer = issuer;
        ApiAudiences = apiAudiences;
        _keys = new Lazy<(Dictionary<string, RSA>, string?)>(() =>
        {
            var verification = new Dictionary<string, RSA>(StringComparer.Ordinal);
            foreach (var key in verificationKeys().Concat(signingKey is null ? [] : [signingKey.Value]))
            {
                verification.TryAdd(KeyId(key), key);
            }

            return (verification, signingKey is null ? null : KeyId(signingKey.Value));
        });
    }

    /// <summary>The issuer of the tokens kube-controller-manager's token controller puts in Secrets.</summary>
    public const string LegacyIssuer = "kubernetes/serviceaccount";

    /// <summary>go-jose's default leeway, which kube's token validation uses: a minute either way.</summary>
    private const long ClockSkewLeeway = 60;

    public string Issuer { get; }

    public IReadOnlyList<string> ApiAudiences { get; }

    public IReadOnlyList<string> EffectiveAudiences() => ApiAudiences.Count > 0 ? ApiAudiences : [Issuer];

    public bool CanSign => _signingKey is not null;

    public static string KeyId(RSA key) => Base64Url(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    /// <summary>Signs a token with the given claims (the issuer and times are added here).</summary>
    public string Sign(JsonObject claims, DateTimeOffset now, TimeSpan lifetime)
    {
        if (_signingKey is null)
        {
            throw new InvalidOperationException("no service account signing key is configured");
        }

        claims["iss"] = Issuer;
        claims["iat"] = now.ToUnixTimeSeconds();
        claims["nbf"] = now.ToUnixTimeSeconds();
        claims["exp"] = (now + lifetime).ToUnixTimeSeconds();
        claims["jti"] ??= Guid.NewGuid().ToString();
        var header = new JsonObject { ["alg"] = "RS256", ["kid"] = _keys.Value.SigningKeyId };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _signingKey.Value.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>Checks signature, issuer, times and audiences; returns the claims, or null with the reason.</summary>
    public (JsonObject? Claims, string? Error) Verify(string token, IReadOnlyList<string> audiences, DateTimeOffset now)
    {
        var (claims, error) = VerifySignature(token);
        if (claims is null)
        {
            return (null, error);
        }

        if (claims["iss"]?.ToString() != Issuer)
        {
            return (null, "token issued by another issuer");
        }

        // kube's validator, through go-jose: a bound token must expire; exp and nbf are checked with a minute's
        // leeway for clock skew; a token without aud stands for the API's own audiences.
        var seconds = now.ToUnixTimeSeconds();
        if (NumericDate(claims["exp"]) is not { } expires)
        {
            return (null, "service account token has no expiration");
        }

        if (expires < seconds - ClockSkewLeeway)
        {
            return (null, "service account token has expired");
        }

        if (NumericDate(claims["nbf"]) is { } notBefore && notBefore > seconds + ClockSkewLeeway)
        {
            return (null, "service account token is not valid yet");
        }

        var tokenAudiences = claims["aud"] switch
        {
            JsonArray list => list.Select(a => a?.ToString() ?? "").ToList(),
            JsonValue single => [single.ToString()],
            _ => [],
        };
        if (tokenAudiences.Count == 0)
        {
            tokenAudiences = [.. EffectiveAudiences()];
        }

        if (!tokenAudiences.Intersect(audiences, StringComparer.Ordinal).Any())
        {
            return (null, "token audiences are not accepted");
        }

        return (claims, null);
    }

    // A JWT NumericDate: seconds, whole or not.
    private static long? NumericDate(JsonNode? node) =>
        node is not JsonValue value ? null
        : value.TryGetValue<long>(out var whole) ? whole
        : value.TryGetValue<double>(out var fraction) && double.IsFinite(fraction) ? (long)Math.Floor(fraction)
        : null;

    /// <summary>
    /// Checks a legacy token (a kubernetes.io/service-account-token Secret's, issuer kubernetes/serviceaccount):
    /// its signature by a verification key only, as it has no expiry and no audience (it stands for the API's own).
    /// </summary>
    public (JsonObject? Claims, string? Error) VerifyLegacy(string token)
    {
        var (claims, error) = VerifySignature(token);
        return claims is null ? (null, error)
            : claims["iss"]?.ToString() != LegacyIssuer ? (null, "token issued by another issuer")
            : (claims, null);
    }

    /// <summary>The issuer a token claims, unverified (which authenticator should look at it); null when unreadable.</summary>
    public static string? PeekIssuer(string token)
    {
        var parts = token.Split('.');
        try
        {
            return parts.Length == 3 && JsonNode.Parse(FromBase64Url(parts[1])) is JsonObject claims ? claims["iss"]?.ToString() : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    private (JsonObject? Claims, string? Error) VerifySignature(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return (null, "not a JWT");
        }

        try
        {
            var header = JsonNode.Parse(FromBase64Url(parts[0])) as JsonObject;
            if (header?["alg"]?.ToString() != "RS256")
            {
                return (null, "unsupported signing algorithm");
            }

            var signingInput = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            var signature = FromBase64Url(parts[2]);
            var kid = header["kid"]?.ToString();
            var keys = kid is not null && _keys.Value.Verification.TryGetValue(kid, out var key) ? [key] : _keys.Value.Verification.Values.ToList();
            if (!keys.Any(k => k.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)))
            {
                return (null, "invalid signature");
            }

            return (JsonNode.Parse(FromBase64Url(parts[1])) as JsonObject ?? throw new FormatException("claims are not an object"), null);
        }
        catch (Exception e) when (e is FormatException or JsonException or CryptographicException)
        {
            return (null, "malformed token");
        }
    }

    /// <summary>The JWKS document of /openid/v1/jwks.</summary>
    public JsonObject Jwks()
    {
        var keys = new JsonArray();
        foreach (var (kid, key) in _keys.Value.Verification)
        {
            var parameters = key.ExportParameters(false);
            keys.Add((JsonNode)new JsonObject
            {
                ["use"] = "sig",
                ["kty"] = "RSA",
                ["kid"] = kid,
                ["alg"] = "RS256",
                ["n"] = Base64Url(parameters.Modulus!),
                ["e"] = Base64Url(parameters.Exponent!),
            });
        }

        return new JsonObject { ["keys"] = keys };
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        return Convert.FromBase64String(padded);
    }
}
