using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Security.Authentication;

namespace Monokube.Controllers.ServiceAccounts;

/// <summary>
/// The token of a kubernetes.io/service-account-token Secret, as kube-controller-manager's token controller signs
/// it: an RS256 JWT (key id as kube computes it) with issuer kubernetes/serviceaccount, no expiry and no audience,
/// whose claims name the namespace, the Secret and the service account with its uid.
/// </summary>
public static class LegacyServiceAccountToken
{
    public const string Issuer = "kubernetes/serviceaccount";

    public static string Sign(RSA key, string ns, string serviceAccount, string serviceAccountUid, string secretName)
    {
        // Go's JSON encoding of the merged claims: keys in sorted order.
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["kubernetes.io/serviceaccount/namespace"] = ns,
            ["kubernetes.io/serviceaccount/secret.name"] = secretName,
            ["kubernetes.io/serviceaccount/service-account.name"] = serviceAccount,
            ["kubernetes.io/serviceaccount/service-account.uid"] = serviceAccountUid,
            ["sub"] = $"system:serviceaccount:{ns}:{serviceAccount}",
        };
        var header = new JsonObject { ["alg"] = "RS256", ["kid"] = ServiceAccountTokens.KeyId(key) };
        var signingInput = ServiceAccountTokens.Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + ServiceAccountTokens.Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + ServiceAccountTokens.Base64Url(signature);
    }
}
