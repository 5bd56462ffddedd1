using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.ServiceAccounts;
using Monokube.TestSupport;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>
/// Legacy service-account token Secrets: the serviceaccount-token controller fills them in, the API server accepts
/// their tokens (kubectl auth whoami) while Secret and account last, and the controller removes them with the account.
/// </summary>
public sealed class ServiceAccountTokenTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_secret_gets_a_token_that_authenticates_as_its_service_account_until_the_secret_goes()
    {
        var ns = await cluster.NamespaceAsync();
        var account = await cluster.Client.CreateAsync(ResourceRef.ServiceAccounts, ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "robot" } }, Ct);
        await cluster.Client.CreateAsync(ResourceRef.Secrets, ns, TokenSecret("robot-token", "robot"), Ct);

        var secret = await WaitForTokenAsync(ns, "robot-token");
        var data = secret.GetObject("data")!;
        Assert.Equal(ns, Decode(data["namespace"]));
        Assert.Equal(cluster.CaPem, Decode(data["ca.crt"]));
        var annotations = (JsonObject)secret.Find("metadata.annotations")!;
        Assert.Equal(account.GetString("metadata.uid"), annotations[TokensController.UidAnnotation]!.ToString());

        var token = Decode(data["token"]);
        var claims = JsonNode.Parse(Convert.FromBase64String(Pad(token.Split('.')[1])))!.AsObject();
        Assert.Equal("kubernetes/serviceaccount", claims["iss"]!.ToString());
        Assert.Equal($"system:serviceaccount:{ns}:robot", claims["sub"]!.ToString());
        Assert.Equal("robot-token", claims["kubernetes.io/serviceaccount/secret.name"]!.ToString());
        Assert.Equal(account.GetString("metadata.uid"), claims["kubernetes.io/serviceaccount/service-account.uid"]!.ToString());
        Assert.Null(claims["exp"]);

        using var dir = new TempDirectory();
        var kubeconfig = dir.File("token.kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster: {"{"}server: "{cluster.Url}", certificate-authority-data: {Convert.ToBase64String(Encoding.UTF8.GetBytes(cluster.CaPem))}{"}"}
            users:
            - name: u
              user: {"{"}token: "{token}"{"}"}
            contexts:
            - name: c
              context: {"{"}cluster: c, user: u{"}"}
            current-context: c
            """, Ct);
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "auth", "whoami", "-o", "json");
        Assert.True(code == 0, stderr);
        var user = JsonNode.Parse(stdout)!["status"]!["userInfo"]!;
        Assert.Equal($"system:serviceaccount:{ns}:robot", user["username"]!.ToString());
        Assert.Contains("system:serviceaccounts:" + ns, user["groups"]!.AsArray().Select(g => g!.ToString()));

        // A tampered token is refused; so is the real one once its Secret is gone.
        var tampered = token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA");
        using (var client = cluster.ClientAs(bearerToken: tampered))
        {
            var e = await Assert.ThrowsAsync<KubeApiException>(() => client.GetJsonAsync("/api", Ct));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.Code);
        }

        await cluster.Client.DeleteAsync(ResourceRef.Secrets, ns, "robot-token", Ct);
        (code, _, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "auth", "whoami");
        Assert.NotEqual(0, code);
        Assert.Contains("Unauthorized", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_secrets_of_a_missing_or_deleted_account_are_deleted()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.Client.CreateAsync(ResourceRef.Secrets, ns, TokenSecret("orphan-token", "nobody"), Ct);
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.Secrets, ns, "orphan-token", Ct) is null, "the token Secret of a missing account to be deleted");

        await cluster.Client.CreateAsync(ResourceRef.ServiceAccounts, ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "temp" } }, Ct);
        await cluster.Client.CreateAsync(ResourceRef.Secrets, ns, TokenSecret("temp-token", "temp"), Ct);
        await WaitForTokenAsync(ns, "temp-token");
        await cluster.Client.DeleteAsync(ResourceRef.ServiceAccounts, ns, "temp", Ct);
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.Secrets, ns, "temp-token", Ct) is null, "the token Secret to go with its account");
    }

    private async Task<JsonObject> WaitForTokenAsync(string ns, string name)
    {
        JsonObject? secret = null;
        await ClusterFixture.WaitAsync(
            async () => (secret = await cluster.Client.GetAsync(ResourceRef.Secrets, ns, name, Ct))?.GetObject("data")?["token"] is not null,
            $"the controller to put a token in {ns}/{name}");
        return secret!;
    }

    private static JsonObject TokenSecret(string name, string account) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = new JsonObject { ["name"] = name, ["annotations"] = new JsonObject { [TokensController.NameAnnotation] = account } },
        ["type"] = TokensController.SecretType,
    };

    private static string Decode(JsonNode? base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64!.ToString()));

    private static string Pad(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text + new string('=', (4 - (text.Length % 4)) % 4);
    }
}
