using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers.Bootstrap;

/// <summary>
/// A bootstrap token Secret as kube reads one: type bootstrap.kubernetes.io/token in kube-system, named
/// bootstrap-token-&lt;token-id&gt;, with data token-id, token-secret, expiration (RFC 3339; unparseable counts as
/// expired) and usage-bootstrap-signing.
/// </summary>
public sealed record BootstrapToken(string Id, string Secret, DateTimeOffset? Expiration, bool ExpirationInvalid, bool UsableForSigning)
{
    public const string SecretType = "bootstrap.kubernetes.io/token";
    public const string Namespace = "kube-system";
    public const string NamePrefix = "bootstrap-token-";

    public static BootstrapToken FromSecret(JsonObject secret)
    {
        var data = secret.GetObject("data");
        string Data(string key) => data?[key]?.ToString() is { Length: > 0 } encoded && TryDecode(encoded) is { } text ? text : "";
        var expiration = Data("expiration");
        DateTimeOffset? expires = null;
        var invalid = false;
        if (expiration.Length > 0)
        {
            if (DateTimeOffset.TryParse(expiration, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                expires = parsed;
            }
            else
            {
                invalid = true;
            }
        }

        return new BootstrapToken(Data("token-id"), Data("token-secret"), expires, invalid, Data("usage-bootstrap-signing") == "true");
    }

    /// <summary>How long until the token expires: null when it never does, zero or less when it has.</summary>
    public TimeSpan? TimeLeft(DateTimeOffset now) => ExpirationInvalid ? TimeSpan.Zero : Expiration - now;

    public bool HasExpired(DateTimeOffset now) => TimeLeft(now) is { } left && left <= TimeSpan.Zero;

    /// <summary>Whether the Secret's name, token id and secret agree and the token may sign cluster-info (kube's checks).</summary>
    public bool CanSign(string secretName, DateTimeOffset now) =>
        secretName == NamePrefix + Id && Id.Length == 6 && Id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
        && Secret.Length > 0 && UsableForSigning && !HasExpired(now);

    private static string? TryDecode(string base64)
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
}
