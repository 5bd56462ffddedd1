using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Differential.Tests;

/// <summary>
/// etcd both ways: an object of every built-in kind, a CRD and its custom resources written through monokube are
/// read by the real kube-apiserver v1.26.1 on the same etcd with equal content, and the reverse; service-account
/// tokens one mints the other accepts. What kube-apiserver fills in on reading (its defaults) must be what monokube
/// stored, so a pivot loses and changes nothing.
/// </summary>
public sealed class StorageCompatibilityTests(SharedEtcdPair pair) : IClassFixture<SharedEtcdPair>
{
    private const string Test = nameof(StorageCompatibilityTests);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Every_kind_written_by_one_server_reads_the_same_through_the_other(bool monokubeWrites)
    {
        KubernetesBinaries.SkipUnlessPresent();
        var (writer, reader) = monokubeWrites ? (pair.Monokube, pair.Real) : (pair.Real, pair.Monokube);
        var ns = (monokubeWrites ? "by-monokube-" : "by-kube-") + Guid.NewGuid().ToString("N")[..6];
        await writer.CreateAsync("/api/v1/namespaces", $$"""{"metadata":{"name":"{{ns}}"} }""");

        // No controller-manager runs here: the account pods run as is made by hand.
        await writer.CreateAsync($"/api/v1/namespaces/{ns}/serviceaccounts", """{"metadata":{"name":"default"}}""");
        var samples = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "storage-samples.json"), TestContext.Current.CancellationToken))!.AsArray();
        var comparisons = new List<Comparison>();
        using var writing = writer.Admin();
        using var reading = reader.Admin();
        foreach (var sample in samples.OfType<JsonObject>())
        {
            var path = sample["path"]!.ToString().Replace("{ns}", ns, StringComparison.Ordinal);
            var body = sample["object"]!.ToJsonString().Replace("{ns}", ns, StringComparison.Ordinal).Replace("{csr}", CsrRequest(), StringComparison.Ordinal);
            var kind = sample["object"]!["apiVersion"] + " " + sample["object"]!["kind"];
            var (code, created, response) = await Side.SendAsync(writing, HttpMethod.Post, path, body);
            response.Dispose();
            if (code != 201)
            {
                comparisons.Add(new($"storage: {kind} written by {(monokubeWrites ? "monokube" : "kube")}", "created by the writer", $"the writer answered {code} {created["message"]}"));
                continue;
            }

            var item = path + "/" + created["metadata"]!["name"];
            var written = await ReadAsync(writing, item);
            var read = await ReadAsync(reading, item);
            comparisons.Add(new($"storage: {kind} written by {(monokubeWrites ? "monokube" : "kube")}",
                Normalize(monokubeWrites ? read : written), Normalize(monokubeWrites ? written : read)));
        }

        KnownDifferences.Check(Test, comparisons, _ => false, method: monokubeWrites ? "WrittenByMonokube" : "WrittenByKube");
    }

    [Fact]
    public async Task Custom_resources_and_service_account_tokens_cross_over()
    {
        KubernetesBinaries.SkipUnlessPresent();
        var group = "compat" + Guid.NewGuid().ToString("N")[..6] + ".example.com";
        await pair.Monokube.CreateAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", $$"""
            {"metadata":{"name":"gadgets.{{group}}"},"spec":{"group":"{{group}}","scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},
             "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{} },
               "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"size":{"type":"integer","default":3} } } } } } }] } }
            """);
        var ns = "crs-" + Guid.NewGuid().ToString("N")[..6];
        await pair.Real.CreateAsync("/api/v1/namespaces", $$"""{"metadata":{"name":"{{ns}}"} }""");
        var collection = $"/apis/{group}/v1/namespaces/{ns}/gadgets";
        foreach (var side in new[] { pair.Real, pair.Monokube })
        {
            using var http = side.Admin();
            await Eventually.WaitAsync(async () => (await Side.SendAsync(http, HttpMethod.Get, collection)).Code == 200, TimeSpan.FromSeconds(30), side.Name + " to serve the custom resource");
        }

        await pair.Monokube.CreateAsync(collection, $$"""{"apiVersion":"{{group}}/v1","kind":"Gadget","metadata":{"name":"from-monokube"},"spec":{} }""");
        await pair.Real.CreateAsync(collection, $$"""{"apiVersion":"{{group}}/v1","kind":"Gadget","metadata":{"name":"from-kube"},"spec":{"size":5} }""");
        using var real = pair.Real.Admin();
        using var mono = pair.Monokube.Admin();
        var comparisons = new List<Comparison>();
        foreach (var name in new[] { "from-monokube", "from-kube" })
        {
            comparisons.Add(new("storage: custom resource " + name, Normalize(await ReadAsync(real, collection + "/" + name)), Normalize(await ReadAsync(mono, collection + "/" + name))));
        }

        // Tokens minted by either server, for an account created through either, work on both.
        await pair.Real.CreateAsync($"/api/v1/namespaces/{ns}/serviceaccounts", """{"metadata":{"name":"robot"} }""");
        foreach (var (minter, name) in new[] { (pair.Monokube, "monokube"), (pair.Real, "kube") })
        {
            using var http = minter.Admin();
            var (_, request, response) = await Side.SendAsync(http, HttpMethod.Post, $"/api/v1/namespaces/{ns}/serviceaccounts/robot/token", "{}");
            response.Dispose();
            var token = request["status"]!["token"]!.ToString();
            comparisons.Add(new($"storage: a token minted by {name}", await WhoAsync(pair.Real, token), await WhoAsync(pair.Monokube, token)));
        }

        KnownDifferences.Check(Test, comparisons, _ => false);
    }

    private static async Task<string> WhoAsync(Side side, string token)
    {
        using var http = side.Client(token);
        var (code, body, response) = await Side.SendAsync(http, HttpMethod.Get, "/api/v1/namespaces/kube-system/secrets");
        response.Dispose();
        return code + " " + body["message"];
    }

    private static async Task<JsonObject> ReadAsync(HttpClient http, string path)
    {
        JsonObject? found = null;
        await Eventually.WaitAsync(async () =>
        {
            var (code, body, response) = await Side.SendAsync(http, HttpMethod.Get, path);
            response.Dispose();
            found = code == 200 ? body : null;
            return found is not null;
        }, TimeSpan.FromSeconds(30), path + " to be readable");
        return found!;
    }

    // The object as JSON with sorted keys, so that only content differs.
    private static string Normalize(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => JsonValue.Create(p.Key).ToJsonString() + ":" + Normalize(p.Value))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Normalize)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };

    private static string CsrRequest()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=compat", key, HashAlgorithmName.SHA256);
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(PemEncoding.WriteString("CERTIFICATE REQUEST", request.CreateSigningRequest())));
    }
}
