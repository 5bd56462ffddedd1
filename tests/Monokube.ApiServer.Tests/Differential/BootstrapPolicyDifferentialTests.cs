using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Hosting;
using Monokube.Storage.Memory;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.Differential;

/// <summary>
/// The default RBAC policy (kube-apiserver's rbac/bootstrap-roles) of monokube emulating 1.26 against the real
/// kube-apiserver v1.26.1's, object for object: every role's rules and aggregation rule, every binding's subjects,
/// labels and annotations. The embedded table bootstrap-policy-1.26.tsv is written from the real server: run this
/// class with MONOKUBE_WRITE_BOOTSTRAP_POLICY=1 to rewrite it in the checkout.
/// </summary>
public sealed class BootstrapPolicyDifferentialTests(RealApiServerFixture real) : IClassFixture<RealApiServerFixture>
{
    private const string TablePath = "src/Monokube.ApiServer/Security/Authorization/bootstrap-policy-1.26.tsv";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_1_26_table_is_what_kube_apiserver_v1_26_creates()
    {
        KubernetesBinaries.SkipUnlessPresent();
        using var http = real.Server.Http(ClusterPki.AdminToken, real.Pki);
        var expected = PolicyTable.Write(await PolicyTable.ReadAsync(http, Ct), "1.26", "kube-apiserver v1.26.1");
        using var stream = typeof(KubernetesRelease).Assembly.GetManifestResourceStream("bootstrap-policy-1.26.tsv")!;
        var embedded = new StreamReader(stream).ReadToEnd();
        if (embedded == expected)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("MONOKUBE_WRITE_BOOTSTRAP_POLICY") == "1")
        {
            await File.WriteAllTextAsync(Path.Combine(RepositoryRoot.Find(), TablePath), expected, Ct);
        }

        var missing = expected.Split('\n').Except(embedded.Split('\n')).Take(20);
        var extra = embedded.Split('\n').Except(expected.Split('\n')).Take(20);
        Assert.Fail($"{TablePath} differs from the real server's policy; run this test with MONOKUBE_WRITE_BOOTSTRAP_POLICY=1 to rewrite it, then rebuild.\nmissing:\n{string.Join('\n', missing)}\nextra:\n{string.Join('\n', extra)}");
    }

    [Fact]
    public async Task Monokube_emulating_1_26_creates_the_same_objects()
    {
        KubernetesBinaries.SkipUnlessPresent();
        using var realHttp = real.Server.Http(ClusterPki.AdminToken, real.Pki);
        var expected = await PolicyTable.ReadAsync(realHttp, Ct);

        await using var store = new MemoryObjectStore();
        await using var server = await Hosting.ApiServer.StartAsync(
            new ApiServerOptions { BindAddress = IPAddress.Loopback, Port = 0, InsecureHttp = true, Release = KubernetesRelease.V1_26 }, store, cancellationToken: Ct);
        await server.SystemObjectsReady.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        using var http = new HttpClient { BaseAddress = server.Url };
        var actual = await PolicyTable.ReadAsync(http, Ct);

        Assert.Equal(Describe(expected), Describe(actual));
    }

    // Each object's identity with what the hook decides: labels, annotations and the table's lines.
    private static List<string> Describe(IReadOnlyList<JsonObject> objects) =>
        [.. objects.Select(o => $"{o["kind"]} {o["metadata"]?["namespace"]}/{o["metadata"]!["name"]} labels={Sorted(o["metadata"]?["labels"])} annotations={Sorted(o["metadata"]?["annotations"])}")
            .Concat(PolicyTable.Lines(objects)).Order(StringComparer.Ordinal)];

    private static string Sorted(JsonNode? map) =>
        map is JsonObject o ? string.Join(",", o.Select(p => p.Key + "=" + p.Value).Order(StringComparer.Ordinal)) : "";
}

/// <summary>The bootstrap-policy table format, written from the objects a server serves.</summary>
internal static class PolicyTable
{
    private static readonly (string Plural, string Kind, bool Namespaced)[] Kinds =
    [
        ("clusterroles", "ClusterRole", false),
        ("clusterrolebindings", "ClusterRoleBinding", false),
        ("roles", "Role", true),
        ("rolebindings", "RoleBinding", true),
    ];

    /// <summary>Every RBAC object labelled kubernetes.io/bootstrapping=rbac-defaults, in the table's kind order, by name.</summary>
    public static async Task<IReadOnlyList<JsonObject>> ReadAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var objects = new List<JsonObject>();
        foreach (var (plural, kind, _) in Kinds)
        {
            var text = await http.GetStringAsync($"/apis/rbac.authorization.k8s.io/v1/{plural}?labelSelector=kubernetes.io%2Fbootstrapping%3Drbac-defaults", cancellationToken);
            foreach (var item in JsonNode.Parse(text)!["items"]!.AsArray().OfType<JsonObject>()
                .OrderBy(i => i["metadata"]?["namespace"]?.ToString() ?? "", StringComparer.Ordinal).ThenBy(i => i["metadata"]!["name"]!.ToString(), StringComparer.Ordinal))
            {
                item["kind"] = kind;
                objects.Add(item);
            }
        }

        return objects;
    }

    public static string Write(IReadOnlyList<JsonObject> objects, string release, string source)
    {
        var text = new StringBuilder();
        text.Append($"# Kubernetes {release} RBAC bootstrap policy (what kube-apiserver's rbac/bootstrap-roles hook creates, default feature gates), read from {source}.\n");
        text.Append("# rule    <kind> <namespace> <name> <apiGroups> <resources> <resourceNames> <nonResourceURLs> <verbs>   (\"core\" = the \"\" group; lists comma-joined)\n");
        text.Append("# meta    <kind> <namespace> <name> <labels k=v,...> <aggregationRule selectors, \"k=v,...\" joined by \" | \">\n");
        text.Append("# binding <kind> <namespace> <name> <roleRef kind> <roleRef name> <subjects Kind:namespace:name,...>\n");
        foreach (var line in Lines(objects))
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }

    public static IEnumerable<string> Lines(IReadOnlyList<JsonObject> objects)
    {
        foreach (var o in objects)
        {
            var kind = o["kind"]!.ToString();
            var head = $"{kind}\t{o["metadata"]?["namespace"]}\t{o["metadata"]!["name"]}";
            if (kind.EndsWith("Binding", StringComparison.Ordinal))
            {
                var subjects = (o["subjects"] as JsonArray ?? []).OfType<JsonObject>().Select(s => $"{s["kind"]}:{s["namespace"]}:{s["name"]}");
                yield return $"binding\t{head}\t{o["roleRef"]!["kind"]}\t{o["roleRef"]!["name"]}\t{string.Join(",", subjects)}";
                continue;
            }

            foreach (var rule in (o["rules"] as JsonArray ?? []).OfType<JsonObject>())
            {
                yield return $"rule\t{head}\t{List(rule["apiGroups"], core: true)}\t{List(rule["resources"])}\t{List(rule["resourceNames"])}\t{List(rule["nonResourceURLs"])}\t{List(rule["verbs"])}";
            }

            var labels = o["metadata"]?["labels"] is JsonObject l ? string.Join(",", l.Select(p => p.Key + "=" + p.Value)) : "";
            var selectors = (o["aggregationRule"]?["clusterRoleSelectors"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(s => s["matchLabels"] is JsonObject m ? string.Join(",", m.Select(p => p.Key + "=" + p.Value)) : "");
            yield return $"meta\t{head}\t{labels}\t{string.Join(" | ", selectors)}";
        }
    }

    private static string List(JsonNode? node, bool core = false) =>
        string.Join(",", (node as JsonArray ?? []).Select(v => v!.ToString()).Select(v => core && v.Length == 0 ? "core" : v));
}
