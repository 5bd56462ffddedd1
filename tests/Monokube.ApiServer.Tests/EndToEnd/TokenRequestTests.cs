using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// serviceaccounts/&lt;name&gt;/token as kube-apiserver v1.26 answers it (checked against it): the body's name, the
/// expiry's bounds, the bound object's kind, service account and uid, and the year-long pod-bound token of the
/// kubelet's default 3607 s.
/// </summary>
public sealed class TokenRequestTests(SecureApiServerFixture server) : IClassFixture<SecureApiServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_are_refused_with_kubes_status()
    {
        var ns = await NamespaceWithAccountsAsync();
        using var http = server.AdminHttp();
        var pod = await CreateAsync(http, $"/api/v1/namespaces/{ns}/pods", """{"metadata":{"name":"p"},"spec":{"serviceAccountName":"runner","containers":[{"name":"c","image":"busybox"}]}}""");
        var uid = pod["metadata"]!["uid"]!.ToString();

        var (code, status) = await RequestAsync(http, ns, "runner", """{"spec":{"expirationSeconds":100}}""");
        Assert.Equal(422, code);
        Assert.Equal("TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 100: may not specify a duration less than 10 minutes", status["message"]!.ToString());

        (code, status) = await RequestAsync(http, ns, "runner", """{"metadata":{"name":"other"}}""");
        Assert.Equal(422, code);
        Assert.Equal("TokenRequest.authentication.k8s.io \"runner\" is invalid: metadata.name: Invalid value: \"other\": must match the service account name if specified", status["message"]!.ToString());

        (code, status) = await RequestAsync(http, ns, "runner", """{"spec":{"boundObjectRef":{"apiVersion":"v1","kind":"ConfigMap","name":"x"}}}""");
        Assert.Equal(400, code);
        Assert.Equal("cannot bind token to object of type /v1, Kind=ConfigMap", status["message"]!.ToString());

        (code, status) = await RequestAsync(http, ns, "other", $$"""{"spec":{"boundObjectRef":{"apiVersion":"v1","kind":"Pod","name":"p","uid":"{{uid}}"} } }""");
        Assert.Equal(400, code);
        Assert.Equal("cannot bind token for serviceaccount \"other\" to pod running with different serviceaccount name.", status["message"]!.ToString());

        (code, status) = await RequestAsync(http, ns, "runner", """{"spec":{"boundObjectRef":{"apiVersion":"v1","kind":"Pod","name":"p","uid":"not-its-uid"}}}""");
        Assert.Equal(409, code);
        Assert.Equal("Conflict", status["reason"]!.ToString());
        Assert.StartsWith("Operation cannot be fulfilled on Pod \"p\": the UID in the bound object reference (not-its-uid) does not match", status["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_bound_token_of_3607_seconds_lasts_a_year_and_says_when_to_refresh()
    {
        var ns = await NamespaceWithAccountsAsync();
        using var http = server.AdminHttp();
        var pod = await CreateAsync(http, $"/api/v1/namespaces/{ns}/pods", """{"metadata":{"name":"p"},"spec":{"serviceAccountName":"runner","containers":[{"name":"c","image":"busybox"}]}}""");
        var bound = $$"""{"spec":{"expirationSeconds":3607,"boundObjectRef":{"apiVersion":"v1","kind":"Pod","name":"p","uid":"{{pod["metadata"]!["uid"]}}"} } }""";

        var (code, response) = await RequestAsync(http, ns, "runner", bound);
        Assert.Equal(201, code);
        var claims = Claims(response["status"]!["token"]!.ToString());
        var issued = claims["iat"]!.GetValue<long>();
        Assert.Equal(issued + 365L * 24 * 3600, claims["exp"]!.GetValue<long>());
        Assert.Equal(issued + 3607, claims["kubernetes.io"]!["warnafter"]!.GetValue<long>());
        var expires = DateTimeOffset.Parse(response["status"]!["expirationTimestamp"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(issued + 3607, expires.ToUnixTimeSeconds());

        // Another audience, or another length, is not extended.
        (_, response) = await RequestAsync(http, ns, "runner", bound.Replace("3607", "3600", StringComparison.Ordinal));
        claims = Claims(response["status"]!["token"]!.ToString());
        Assert.Equal(claims["iat"]!.GetValue<long>() + 3600, claims["exp"]!.GetValue<long>());
        Assert.Null(claims["kubernetes.io"]!["warnafter"]);
    }

    private async Task<string> NamespaceWithAccountsAsync()
    {
        var ns = server.NewNamespace();
        using var http = server.AdminHttp();
        await CreateAsync(http, "/api/v1/namespaces", $$"""{"metadata":{"name":"{{ns}}"} }""");
        foreach (var account in new[] { "runner", "other" })
        {
            await CreateAsync(http, $"/api/v1/namespaces/{ns}/serviceaccounts", $$"""{"metadata":{"name":"{{account}}"} }""");
        }

        return ns;
    }

    private static async Task<JsonNode> CreateAsync(HttpClient http, string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(path, content, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!;
    }

    private static async Task<(int Code, JsonNode Body)> RequestAsync(HttpClient http, string ns, string account, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"/api/v1/namespaces/{ns}/serviceaccounts/{account}/token", content, Ct);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!);
    }

    private static JsonNode Claims(string token)
    {
        var payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload += (payload.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        return JsonNode.Parse(Convert.FromBase64String(payload))!;
    }
}
