namespace Monokube.ApiServer.Patching;

/// <summary>
/// The strategic-merge-patch metadata of the built-in types (Go struct tags patchStrategy / patchMergeKey in
/// k8s.io/api): which list fields merge by a key, which primitive lists merge as sets, which fields retain keys.
/// Lists not named here are atomic: a patch replaces them whole.
/// </summary>
public static class PatchStrategies
{
    private static readonly Dictionary<(string Model, string Field), PatchStrategy> Table = new()
    {
        [("V1ObjectMeta", "finalizers")] = Merge(),
        [("V1ObjectMeta", "ownerReferences")] = Merge("uid"),

        [("V1PodSpec", "volumes")] = Merge("name", retainKeys: true),
        [("V1PodSpec", "initContainers")] = Merge("name"),
        [("V1PodSpec", "containers")] = Merge("name"),
        [("V1PodSpec", "ephemeralContainers")] = Merge("name"),
        [("V1PodSpec", "imagePullSecrets")] = Merge("name"),
        [("V1PodSpec", "hostAliases")] = Merge("ip"),
        [("V1PodSpec", "topologySpreadConstraints")] = Merge("topologyKey"),
        [("V1PodSpec", "resourceClaims")] = Merge("name", retainKeys: true),
        [("V1PodSpec", "schedulingGates")] = Merge("name"),

        [("V1Container", "ports")] = Merge("containerPort"),
        [("V1Container", "env")] = Merge("name"),
        [("V1Container", "volumeMounts")] = Merge("mountPath"),
        [("V1Container", "volumeDevices")] = Merge("devicePath"),
        [("V1EphemeralContainer", "ports")] = Merge("containerPort"),
        [("V1EphemeralContainer", "env")] = Merge("name"),
        [("V1EphemeralContainer", "volumeMounts")] = Merge("mountPath"),
        [("V1EphemeralContainer", "volumeDevices")] = Merge("devicePath"),

        [("V1PodStatus", "conditions")] = Merge("type"),
        [("V1PodStatus", "podIPs")] = Merge("ip"),
        [("V1PodStatus", "hostIPs")] = Merge("ip"),
        [("V1PodStatus", "resourceClaimStatuses")] = Merge("name", retainKeys: true),

        [("V1NodeSpec", "podCIDRs")] = Merge(),
        [("V1NodeStatus", "conditions")] = Merge("type"),
        [("V1NodeStatus", "addresses")] = Merge("type"),

        [("V1ServiceSpec", "ports")] = Merge("port"),
        [("V1ServiceStatus", "conditions")] = Merge("type"),
        [("V1NamespaceStatus", "conditions")] = Merge("type"),
        [("V1PersistentVolumeClaimStatus", "conditions")] = Merge("type"),
        [("V1ReplicationControllerStatus", "conditions")] = Merge("type"),

        [("V1DeploymentSpec", "strategy")] = new PatchStrategy(null, false, RetainKeys: true),
        [("V1DeploymentStatus", "conditions")] = Merge("type"),
        [("V1ReplicaSetStatus", "conditions")] = Merge("type"),
        [("V1DaemonSetStatus", "conditions")] = Merge("type"),
        [("V1StatefulSetStatus", "conditions")] = Merge("type"),
        [("V1JobStatus", "conditions")] = Merge("type"),
        [("V1PodDisruptionBudgetStatus", "conditions")] = Merge("type"),
        [("V2HorizontalPodAutoscalerStatus", "conditions")] = Merge("type"),
    };

    public static PatchStrategy? Find(string? model, string field) =>
        model is not null && Table.TryGetValue((model, field), out var strategy) ? strategy : null;

    private static PatchStrategy Merge(string? key = null, bool retainKeys = false) => new(key, true, retainKeys);
}

/// <summary>How a strategic merge patch treats one field: merge by <see cref="MergeKey"/> (or as a set), and/or retain keys.</summary>
public sealed record PatchStrategy(string? MergeKey, bool MergeList, bool RetainKeys = false)
{
    /// <summary>
    /// Every key that identifies an element: the merge key of a built-in list, or a custom resource's
    /// x-kubernetes-list-map-keys, which may name several.
    /// </summary>
    public IReadOnlyList<string> MergeKeys { get; init; } = MergeKey is null ? [] : [MergeKey];

    /// <summary>How a custom resource's list merges: by its x-kubernetes-list-type (map, set; atomic and none are null).</summary>
    public static PatchStrategy? ForListType(string? listType, IReadOnlyList<string> mapKeys) => listType switch
    {
        "map" when mapKeys.Count > 0 => new PatchStrategy(mapKeys[0], true) { MergeKeys = mapKeys },
        "set" => new PatchStrategy(null, true),
        _ => null,
    };

    /// <summary>The x-kubernetes-patch-strategy text: "merge", "retainKeys" or "merge,retainKeys".</summary>
    public string Text => MergeList && RetainKeys ? "merge,retainKeys" : MergeList ? "merge" : "retainKeys";
}
