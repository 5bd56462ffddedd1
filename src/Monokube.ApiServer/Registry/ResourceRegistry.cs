using System.Collections.Frozen;

namespace Monokube.ApiServer.Registry;

/// <summary>
/// Every served resource, looked up by group, version and plural. Holds an immutable snapshot that is swapped as a
/// whole when resources are added or removed (custom resources), so readers never lock.
/// </summary>
public sealed class ResourceRegistry
{
    // kube-apiserver's order of groups in discovery; kubectl resolves ambiguous names in this order.
    private static readonly string[] GroupOrder =
    [
        "", "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "autoscaling", "batch",
        "certificates.k8s.io", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
        "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "flowcontrol.apiserver.k8s.io",
    ];

    private Snapshot _snapshot;

    public ResourceRegistry(IEnumerable<ResourceDefinition> resources, KubernetesRelease? release = null)
    {
        _snapshot = new Snapshot([.. resources]);
        Release = release ?? KubernetesRelease.Default;
    }

    /// <summary>The built-in resources of a release (the default one when null): what its kube-apiserver serves of them.</summary>
    public static ResourceRegistry CreateBuiltin(KubernetesRelease? release = null)
    {
        release ??= KubernetesRelease.Default;
        return new(BuiltinResources.For(release), release);
    }

    /// <summary>The Kubernetes release whose API this registry serves.</summary>
    public KubernetesRelease Release { get; }

    public IReadOnlyList<ResourceDefinition> Resources => _snapshot.Resources;

    /// <summary>Grows whenever the set of served resources changes; caches of discovery and OpenAPI key on it.</summary>
    public long Generation => _snapshot.Generation;

    /// <summary>The served API groups in discovery order (the core group, named "", first).</summary>
    public IReadOnlyList<ApiGroup> Groups => _snapshot.Groups;

    public ResourceDefinition? Find(string group, string version, string plural) =>
        _snapshot.ByPath.TryGetValue((group, version, plural), out var resource) ? resource : null;

    public ResourceDefinition? FindByKind(string group, string version, string kind) =>
        _snapshot.Resources.FirstOrDefault(r => r.Group == group && r.Version == version && r.Kind == kind);

    public ApiGroup? FindGroup(string group) => _snapshot.Groups.FirstOrDefault(g => g.Name == group);

    public IReadOnlyList<ResourceDefinition> InGroupVersion(string group, string version) =>
        _snapshot.ByGroupVersion.TryGetValue((group, version), out var list) ? list : [];

    /// <summary>Replaces the resources of one group (custom resources come and go with their definitions).</summary>
    public void ReplaceGroup(string group, IEnumerable<ResourceDefinition> resources)
    {
        lock (this)
        {
            var rest = _snapshot.Resources.Where(r => r.Group != group);
            _snapshot = new Snapshot([.. rest, .. resources]) { Generation = _snapshot.Generation + 1 };
        }
    }

    public sealed record ApiGroup(string Name, IReadOnlyList<string> Versions)
    {
        public string PreferredVersion => Versions[0];
    }

    private sealed class Snapshot
    {
        public Snapshot(List<ResourceDefinition> resources)
        {
            Resources = resources;
            ByPath = resources.ToFrozenDictionary(r => (r.Group, r.Version, r.Plural));
            ByGroupVersion = resources.GroupBy(r => (r.Group, r.Version)).ToFrozenDictionary(g => g.Key, g => (IReadOnlyList<ResourceDefinition>)[.. g.OrderBy(r => r.Plural, StringComparer.Ordinal)]);
            Groups = [.. resources.GroupBy(r => r.Group)
                .OrderBy(g => Array.IndexOf(GroupOrder, g.Key) is var i && i >= 0 ? i : GroupOrder.Length)
                .ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new ApiGroup(g.Key, [.. g.Select(r => r.Version).Distinct().OrderByDescending(VersionPriority)]))];
        }

        public List<ResourceDefinition> Resources { get; }

        public long Generation { get; init; }

        public FrozenDictionary<(string, string, string), ResourceDefinition> ByPath { get; }

        public FrozenDictionary<(string, string), IReadOnlyList<ResourceDefinition>> ByGroupVersion { get; }

        public IReadOnlyList<ApiGroup> Groups { get; }
    }

    /// <summary>Kubernetes version priority: GA over beta over alpha, then higher numbers first ("v2" > "v1" > "v1beta2").</summary>
    public static int VersionPriority(string version)
    {
        var stability = version.Contains("alpha", StringComparison.Ordinal) ? 0 : version.Contains("beta", StringComparison.Ordinal) ? 1 : 2;
        var digits = new string(version.Skip(1).TakeWhile(char.IsAsciiDigit).ToArray());
        var major = int.TryParse(digits, out var m) ? m : 0;
        var minorText = new string(version.Reverse().TakeWhile(char.IsAsciiDigit).Reverse().ToArray());
        var minor = stability < 2 && int.TryParse(minorText, out var n) ? n : 0;
        return (stability * 1_000_000) + (major * 1_000) + minor;
    }
}
