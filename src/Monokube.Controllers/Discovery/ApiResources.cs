using System.Text.Json.Nodes;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Discovery;

/// <summary>A resource the server serves, as discovery describes it (no subresources).</summary>
public sealed record DiscoveredResource(ResourceRef Ref, string Kind, IReadOnlySet<string> Verbs, bool Preferred)
{
    public bool Supports(params string[] verbs) => verbs.All(Verbs.Contains);
}

/// <summary>
/// What the server serves, read from its legacy discovery (/api, /apis and each group version) as client-go's
/// discovery client does: every version of every group, each group's preferred version marked, and a lookup from
/// an apiVersion and kind (an ownerReference's) to the resource.
/// </summary>
public sealed class ApiResources
{
    private readonly Dictionary<(string ApiVersion, string Kind), DiscoveredResource> _byKind;

    private ApiResources(IReadOnlyList<DiscoveredResource> all)
    {
        All = all;
        _byKind = [];
        foreach (var resource in all)
        {
            _byKind.TryAdd((resource.Ref.ApiVersion, resource.Kind), resource);
        }
    }

    public IReadOnlyList<DiscoveredResource> All { get; }

    /// <summary>The preferred version of each resource.</summary>
    public IEnumerable<DiscoveredResource> Preferred => All.Where(r => r.Preferred);

    public DiscoveredResource? Find(string apiVersion, string kind) => _byKind.GetValueOrDefault((apiVersion, kind));

    /// <summary>The same resources without those of one API group (as discovery that has not seen the group yet).</summary>
    public ApiResources Without(string group) => new([.. All.Where(r => r.Ref.Group != group)]);

    public static async Task<ApiResources> DiscoverAsync(KubeClient client, CancellationToken cancellationToken)
    {
        var all = new List<DiscoveredResource>();
        var core = await client.GetJsonAsync("/api", cancellationToken);
        foreach (var version in (core["versions"] as JsonArray ?? []).Select(v => v?.ToString()).OfType<string>())
        {
            await AddAsync(all, client, "", version, preferred: version == "v1", cancellationToken);
        }

        var groups = await client.GetJsonAsync("/apis", cancellationToken);
        foreach (var group in (groups["groups"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = group["name"]?.ToString() ?? "";
            var preferred = group["preferredVersion"]?["version"]?.ToString();
            foreach (var version in (group["versions"] as JsonArray ?? []).OfType<JsonObject>().Select(v => v["version"]?.ToString()).OfType<string>())
            {
                await AddAsync(all, client, name, version, version == preferred, cancellationToken);
            }
        }

        return new ApiResources(all);
    }

    private static async Task AddAsync(List<DiscoveredResource> all, KubeClient client, string group, string version, bool preferred, CancellationToken cancellationToken)
    {
        JsonObject list;
        try
        {
            list = await client.GetJsonAsync(group.Length == 0 ? "/api/" + version : $"/apis/{group}/{version}", cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            // A group version that went away between the two reads (a CRD version removed).
            return;
        }

        foreach (var resource in (list["resources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = resource["name"]?.ToString() ?? "";
            if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal))
            {
                continue;
            }

            var verbs = (resource["verbs"] as JsonArray ?? []).Select(v => v?.ToString()).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var namespaced = resource["namespaced"]?.GetValue<bool>() ?? false;
            all.Add(new DiscoveredResource(new ResourceRef(group, version, name, namespaced), resource["kind"]?.ToString() ?? "", verbs, preferred));
        }
    }
}
