using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// Request-header authentication (--requestheader-*): a front proxy's certificate from the request-header CA, with an
/// allowed CN, names the user in X-Remote-User, its groups in X-Remote-Group and its extra in X-Remote-Extra-*; the
/// same headers from anyone else name nobody. Requests are written by hand over TLS so that a header can be repeated.
/// </summary>
public sealed class RequestHeaderAuthenticationTests(SecureApiServerFixture server) : IClassFixture<SecureApiServerFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_front_proxy_names_the_user_groups_and_extra_in_headers()
    {
        using var proxy = FrontProxyCertificate(SecureApiServerFixture.FrontProxyName);
        var (code, body) = await WhoAmIAsync(proxy, [
            ("X-Remote-User", "alice"), ("X-Remote-Group", "devs"), ("X-Remote-Group", "ops"),
            ("X-Remote-Extra-Scopes", "read"), ("x-remote-extra-scopes", "write"), ("X-Remote-Extra-Acme.com%2FProject", "p1")]);

        Assert.Equal(201, code);
        var user = JsonNode.Parse(body)!["status"]!["userInfo"]!;
        Assert.Equal("alice", user["username"]!.ToString());
        Assert.Equal(["devs", "ops", "system:authenticated"], user["groups"]!.AsArray().Select(g => g!.ToString()));
        Assert.Equal(["read", "write"], user["extra"]!["scopes"]!.AsArray().Select(v => v!.ToString()));
        Assert.Equal(["p1"], user["extra"]!["acme.com/project"]!.AsArray().Select(v => v!.ToString()));
    }

    [Fact]
    public async Task A_proxy_request_without_a_user_name_authenticates_nobody()
    {
        using var proxy = FrontProxyCertificate(SecureApiServerFixture.FrontProxyName);

        // Without a username header the proxy's certificate names no one: not its CN, and not anonymous either.
        var (code, body) = await WhoAmIAsync(proxy, [("X-Remote-Group", "system:masters")]);
        Assert.Equal(401, code);
        Assert.Equal("Unauthorized", JsonNode.Parse(body)!["reason"]!.ToString());

        // Only the first value of a username header counts, as kube-apiserver reads it; an empty one is no user.
        (code, _) = await WhoAmIAsync(proxy, [("X-Remote-User", ""), ("X-Remote-User", "bob")]);
        Assert.Equal(401, code);
    }

    [Fact]
    public async Task A_front_proxy_certificate_with_a_name_not_allowed_is_refused()
    {
        using var proxy = FrontProxyCertificate("some-other-proxy");
        var (code, body) = await WhoAmIAsync(proxy, [("X-Remote-User", "alice"), ("X-Remote-Group", "system:masters")]);
        Assert.Equal(401, code);
        Assert.DoesNotContain("alice", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_from_a_client_of_the_client_ca_are_ignored()
    {
        var (cert, key) = server.IssueClientCertificate("jane", "devs");
        using var client = X509Certificate2.CreateFromPem(cert, key);
        var (code, body) = await WhoAmIAsync(client, [("X-Remote-User", "alice"), ("X-Remote-Group", "system:masters")]);

        Assert.Equal(201, code);
        var user = JsonNode.Parse(body)!["status"]!["userInfo"]!;
        Assert.Equal("jane", user["username"]!.ToString());
        Assert.Equal(["devs", "system:authenticated"], user["groups"]!.AsArray().Select(g => g!.ToString()));
    }

    [Fact]
    public async Task A_front_proxy_user_is_authorized_as_that_user()
    {
        using var proxy = FrontProxyCertificate(SecureApiServerFixture.FrontProxyName);
        var (code, body) = await SendAsync(proxy, "GET /api/v1/namespaces/kube-system/secrets", [("X-Remote-User", "alice")], "");
        Assert.Equal(403, code);
        Assert.Equal("secrets is forbidden: User \"alice\" cannot list resource \"secrets\" in API group \"\" in the namespace \"kube-system\"", JsonNode.Parse(body)!["message"]!.ToString());

        (code, _) = await SendAsync(proxy, "GET /api/v1/namespaces/kube-system/secrets", [("X-Remote-User", "root"), ("X-Remote-Group", "system:masters")], "");
        Assert.Equal(200, code);
    }

    private X509Certificate2 FrontProxyCertificate(string commonName)
    {
        var (cert, key) = SecureApiServerFixture.IssueClientCertificate(server.FrontProxyCa, commonName);
        return X509Certificate2.CreateFromPem(cert, key);
    }

    private Task<(int Code, string Body)> WhoAmIAsync(X509Certificate2 certificate, (string Name, string Value)[] headers) =>
        SendAsync(certificate, "POST /apis/authentication.k8s.io/v1/selfsubjectreviews", headers, """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""");

    // One HTTP/1.1 request over TLS with the given client certificate; headers may repeat, as a proxy may send them.
    private async Task<(int Code, string Body)> SendAsync(X509Certificate2 certificate, string requestLine, (string Name, string Value)[] headers, string body)
    {
        var url = new Uri(server.Url);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port, Token);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true, (_, _, _, _, _) => certificate);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [certificate],
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        }, Token);

        var request = new StringBuilder();
        request.Append(requestLine).Append(" HTTP/1.1\r\nHost: ").Append(url.Authority).Append("\r\nConnection: close\r\n");
        foreach (var (name, value) in headers)
        {
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (body.Length > 0)
        {
            request.Append("Content-Type: application/json\r\nContent-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\r\n");
        }

        request.Append("\r\n").Append(body);
        await tls.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), Token);
        using var reader = new StreamReader(tls, Encoding.UTF8);
        var response = await reader.ReadToEndAsync(Token);
        var code = int.Parse(response.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var start = response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        var payload = response[start..];
        if (response[..start].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            payload = Dechunk(payload);
        }

        return (code, payload);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var position = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[position..lineEnd].Split(';')[0], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }
    }
}
