using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Differential.Tests;

/// <summary>
/// What kube-apiserver serves and publishes for the other components, monokube (emulating 1.26) beside the real
/// v1.26.1: the resources discovery lists, the system PriorityClasses, the extension-apiserver-authentication
/// ConfigMap and the apiserver identity Lease.
/// </summary>
public sealed class PublishedObjectsDifferentialTests(ServerPair pair) : IClassFixture<ServerPair>
{
    private const string Test = nameof(PublishedObjectsDifferentialTests);

    [Fact]
    public async Task Discovery_lists_the_same_resources()
    {
        KubernetesBinaries.SkipUnlessPresent();
        var real = await ResourcesAsync(pair.Real);
        var mono = await ResourcesAsync(pair.Monokube);
        var comparisons = real.Keys.Union(mono.Keys).Order(StringComparer.Ordinal)
            .Select(r => new Comparison("discovery: " + r, real.GetValueOrDefault(r, "not served"), mono.GetValueOrDefault(r, "not served")))
            .ToList();
        KnownDifferences.Check(Test, comparisons, c => c.Real == "not served" && c.Monokube != "not served");
    }

    [Fact]
    public async Task The_objects_kube_apiserver_publishes_are_the_same()
    {
        KubernetesBinaries.SkipUnlessPresent();
        var comparisons = new List<Comparison>();
        foreach (var name in new[] { "system-cluster-critical", "system-node-critical" })
        {
            comparisons.Add(new("published: PriorityClass " + name,
                await DescribeAsync(pair.Real, "/apis/scheduling.k8s.io/v1/priorityclasses/" + name, PriorityClass),
                await DescribeAsync(pair.Monokube, "/apis/scheduling.k8s.io/v1/priorityclasses/" + name, PriorityClass)));
        }

        comparisons.Add(new("published: ConfigMap kube-system/extension-apiserver-authentication",
            await DescribeAsync(pair.Real, "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication", o => o["data"]?.ToJsonString() ?? ""),
            await DescribeAsync(pair.Monokube, "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication", o => o["data"]?.ToJsonString() ?? "")));
        comparisons.Add(new("published: identity Lease",
            await IdentityLeaseAsync(pair.Real),
            await IdentityLeaseAsync(pair.Monokube)));
        KnownDifferences.Check(Test, comparisons, _ => false);
    }

    private static string PriorityClass(JsonObject o) =>
        $"value={o["value"]} globalDefault={o["globalDefault"]} preemptionPolicy={o["preemptionPolicy"]} generation={o["metadata"]?["generation"]} description={o["description"]}";

    private static async Task<string> DescribeAsync(Side side, string path, Func<JsonObject, string> describe)
    {
        using var admin = side.Admin();
        var (code, body, response) = await Side.SendAsync(admin, HttpMethod.Get, path);
        response.Dispose();
        return code == 200 ? describe(body) : code.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    // The Lease kube-apiserver holds for itself: its name, labels and term (the holder and times are its own).
    private static async Task<string> IdentityLeaseAsync(Side side)
    {
        using var admin = side.Admin();
        string found = "";
        await Eventually.WaitAsync(async () =>
        {
            var (_, list, response) = await Side.SendAsync(admin, HttpMethod.Get, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?labelSelector=k8s.io%2Fcomponent%3Dkube-apiserver");
            response.Dispose();
            var lease = (list["items"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault();
            if (lease is null)
            {
                return false;
            }

            var name = lease["metadata"]!["name"]!.ToString();
            var holder = lease["spec"]?["holderIdentity"]?.ToString() ?? "";
            found = $"{name} labels={lease["metadata"]?["labels"]?.ToJsonString()} duration={lease["spec"]?["leaseDurationSeconds"]} holder={(holder.StartsWith(name + "_", StringComparison.Ordinal) ? "<name>_<id>" : holder)} renewed={lease["spec"]?["renewTime"] is not null}";
            return true;
        }, TimeSpan.FromSeconds(30), side.Name + "'s identity Lease");
        return found;
    }

    // Every resource of every group version discovery lists, with its kind, scope and verbs.
    private static async Task<Dictionary<string, string>> ResourcesAsync(Side side)
    {
        using var admin = side.Admin();
        var resources = new Dictionary<string, string>(StringComparer.Ordinal);
        var paths = new List<string> { "/api/v1" };
        var (_, groups, response) = await Side.SendAsync(admin, HttpMethod.Get, "/apis");
        response.Dispose();
        foreach (var group in (groups["groups"] as JsonArray ?? []).OfType<JsonObject>())
        {
            paths.AddRange((group["versions"] as JsonArray ?? []).OfType<JsonObject>().Select(v => "/apis/" + v["groupVersion"]));
        }

        foreach (var path in paths)
        {
            var (_, list, listResponse) = await Side.SendAsync(admin, HttpMethod.Get, path);
            listResponse.Dispose();
            foreach (var resource in (list["resources"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var verbs = string.Join(",", (resource["verbs"] as JsonArray ?? []).Select(v => v!.ToString()).Order(StringComparer.Ordinal));
                resources[$"{path}/{resource["name"]}"] = $"kind={resource["kind"]} namespaced={resource["namespaced"]} verbs=[{verbs}]";
            }
        }

        return resources;
    }
}
