using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.Controllers.Bootstrap;

namespace Monokube.Controllers.Tests.Unit;

/// <summary>The detached JWS of cluster-info, checked against kube's published vector and an independent HMAC.</summary>
public sealed class DetachedJwsTests
{
    private const string Content = "Hello from the other side. I must have called a thousand times.";

    [Fact]
    public void The_signature_matches_the_vector_of_kubes_jws_package()
    {
        Assert.Equal("eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8", DetachedJws.Sign(Content, "joshua", "my voice is my passcode"));
        Assert.Equal("eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk", DetachedJws.Sign("", "joshua", "my voice is my passcode"));
    }

    [Fact]
    public void The_signature_is_hs256_over_the_header_and_the_left_out_payload_keyed_by_the_token_secret()
    {
        var kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- cluster: {server: https://10.0.0.1:6443}\n  name: \"\"\n";
        var jws = DetachedJws.Sign(kubeconfig, "abcdef", "0123456789abcdef");

        var parts = jws.Split('.');
        Assert.Equal(3, parts.Length);
        Assert.Equal("", parts[1]);
        var header = JsonNode.Parse(Convert.FromBase64String(Pad(parts[0])))!.AsObject();
        Assert.Equal("HS256", header["alg"]!.ToString());
        Assert.Equal("abcdef", header["kid"]!.ToString());

        var signingInput = parts[0] + "." + Base64Url(Encoding.UTF8.GetBytes(kubeconfig));
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes("0123456789abcdef"));
        Assert.Equal(Base64Url(hmac.ComputeHash(Encoding.ASCII.GetBytes(signingInput))), parts[2]);

        // Another token, or another content, signs differently.
        Assert.NotEqual(jws, DetachedJws.Sign(kubeconfig, "abcdef", "fedcba9876543210"));
        Assert.NotEqual(jws, DetachedJws.Sign(kubeconfig + " ", "abcdef", "0123456789abcdef"));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Pad(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text + new string('=', (4 - (text.Length % 4)) % 4);
    }
}
