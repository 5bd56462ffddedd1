using System.Security.Cryptography;
using System.Text;
using Monokube.ApiServer.Security.Authentication;

namespace Monokube.Controllers.Bootstrap;

/// <summary>
/// The detached JWS (RFC 7515 appendix F) a bootstrap token signs cluster-info's kubeconfig with, as kube computes
/// it: HS256 keyed by the token secret, protected header {"alg":"HS256","kid":"&lt;token id&gt;"}, serialized as
/// header..signature (the payload left out).
/// </summary>
public static class DetachedJws
{
    public static string Sign(string content, string tokenId, string tokenSecret)
    {
        var header = ServiceAccountTokens.Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"kid\":\"" + tokenId + "\"}"));
        var payload = ServiceAccountTokens.Base64Url(Encoding.UTF8.GetBytes(content));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(tokenSecret), Encoding.ASCII.GetBytes(header + "." + payload));
        return header + ".." + ServiceAccountTokens.Base64Url(signature);
    }
}
