using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Bootstrap;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>
/// The token-cleaner and bootstrap-signer (off by default, so the cluster's own controller-manager does not run
/// them): each test runs one against the cluster, the cleaner on a clock it moves.
/// </summary>
public sealed class BootstrapTokenControllerTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_token_cleaner_deletes_bootstrap_tokens_once_they_expire_and_nothing_else()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (soon, expired, forever) = (NewId(), NewId(), NewId());
        await CreateTokenAsync(soon, time.GetUtcNow().AddHours(1), signing: false);
        await CreateTokenAsync(expired, time.GetUtcNow().AddMinutes(-1), signing: false);
        await CreateTokenAsync(forever, null, signing: false);
        var opaque = await cluster.Client.CreateAsync(ResourceRef.Secrets, "kube-system", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "not-a-token-" + NewId() },
            ["stringData"] = new JsonObject { ["expiration"] = KubeTime.Format(time.GetUtcNow().AddMinutes(-1)) },
        }, Ct);

        await using var informers = new InformerFactory(cluster.Client, time, NullLoggerFactory.Instance);
        using var cleaner = new TokenCleaner(new ControllerContext(cluster.Client, informers, time, NullLoggerFactory.Instance, new ControllerOptions()));
        await informers.StartAndSyncAsync(Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = cleaner.RunAsync(stop.Token);

        await ClusterFixture.WaitAsync(async () => await TokenAsync(expired) is null, "the expired token to be deleted");
        Assert.NotNull(await TokenAsync(soon));

        time.Advance(TimeSpan.FromMinutes(59));
        await Task.Delay(200, Ct);
        Assert.NotNull(await TokenAsync(soon));

        // The cleaner may have read the clock just before an advance and armed its timer just after it (a loaded
        // machine), so the clock keeps moving, a minute per look, until the token is gone.
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await ClusterFixture.WaitAsync(async () =>
        {
            if (await TokenAsync(soon) is null)
            {
                return true;
            }

            time.Advance(TimeSpan.FromMinutes(1));
            return false;
        }, "the token to be deleted when its expiration passes");
        Assert.NotNull(await TokenAsync(forever));
        Assert.NotNull(await cluster.Client.GetAsync(ResourceRef.Secrets, "kube-system", opaque.GetString("metadata.name")!, Ct));

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task The_bootstrap_signer_keeps_one_signature_per_signing_token_in_cluster_info()
    {
        const string kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\n  name: \"\"\n";
        var (signing, authOnly, expired) = (NewId(), NewId(), NewId());
        await CreateTokenAsync(signing, DateTimeOffset.UtcNow.AddHours(1));
        await CreateTokenAsync(authOnly, null, signing: false);
        await CreateTokenAsync(expired, DateTimeOffset.UtcNow.AddMinutes(-1));
        await cluster.Client.CreateAsync(ResourceRef.ConfigMaps, "kube-public", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "cluster-info" },
            ["data"] = new JsonObject { ["kubeconfig"] = kubeconfig, ["jws-kubeconfig-zzzzzz"] = "stale..signature" },
        }, Ct);

        await using var informers = new InformerFactory(cluster.Client, TimeProvider.System, NullLoggerFactory.Instance);
        using var signer = new BootstrapSigner(new ControllerContext(cluster.Client, informers, TimeProvider.System, NullLoggerFactory.Instance, new ControllerOptions()));
        await informers.StartAndSyncAsync(Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = signer.RunAsync(stop.Token);

        await ClusterFixture.WaitAsync(async () => Signatures(await ClusterInfoAsync()).SetEquals(["jws-kubeconfig-" + signing]), "cluster-info to carry only the signing token's signature");
        var data = (await ClusterInfoAsync()).GetObject("data")!;
        Assert.Equal(kubeconfig, data["kubeconfig"]!.ToString());
        Assert.Equal(Expected(kubeconfig, signing, SecretOf(signing)), data["jws-kubeconfig-" + signing]!.ToString());

        // A second signing token adds its signature; deleting the first takes its signature away.
        var second = NewId();
        await CreateTokenAsync(second, null);
        await ClusterFixture.WaitAsync(async () => Signatures(await ClusterInfoAsync()).SetEquals(["jws-kubeconfig-" + signing, "jws-kubeconfig-" + second]), "the second token's signature");
        await cluster.Client.DeleteAsync(ResourceRef.Secrets, "kube-system", "bootstrap-token-" + signing, Ct);
        await ClusterFixture.WaitAsync(async () => Signatures(await ClusterInfoAsync()).SetEquals(["jws-kubeconfig-" + second]), "the deleted token's signature to go");

        await stop.CancelAsync();
        await running;
    }

    // What a joining node checks, computed here on its own: HS256 over header.payload, keyed by the token secret.
    private static string Expected(string content, string id, string secret)
    {
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = B64(Encoding.UTF8.GetBytes($$"""{"alg":"HS256","kid":"{{id}}"}"""));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + B64(Encoding.UTF8.GetBytes(content))));
        return header + ".." + B64(mac);
    }

    private static HashSet<string> Signatures(JsonObject configMap) =>
        [.. (configMap.GetObject("data") ?? []).Select(p => p.Key).Where(k => k.StartsWith("jws-kubeconfig-", StringComparison.Ordinal))];

    private async Task<JsonObject> ClusterInfoAsync() => (await cluster.Client.GetAsync(ResourceRef.ConfigMaps, "kube-public", "cluster-info", Ct))!;

    private Task<JsonObject?> TokenAsync(string id) => cluster.Client.GetAsync(ResourceRef.Secrets, "kube-system", "bootstrap-token-" + id, Ct);

    private Task<JsonObject> CreateTokenAsync(string id, DateTimeOffset? expiration, bool signing = true)
    {
        var data = new JsonObject
        {
            ["token-id"] = id,
            ["token-secret"] = SecretOf(id),
            ["usage-bootstrap-authentication"] = "true",
            ["usage-bootstrap-signing"] = signing ? "true" : "false",
        };
        if (expiration is { } at)
        {
            data["expiration"] = KubeTime.Format(at);
        }

        return cluster.Client.CreateAsync(ResourceRef.Secrets, "kube-system", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "bootstrap-token-" + id },
            ["type"] = BootstrapToken.SecretType,
            ["stringData"] = data,
        }, Ct);
    }

    private static string SecretOf(string id) => (id + id + id)[..16];

    private static string NewId() => Guid.NewGuid().ToString("N")[..6];
}
