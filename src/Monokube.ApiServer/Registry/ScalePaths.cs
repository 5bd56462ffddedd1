namespace Monokube.ApiServer.Registry;

/// <summary>
/// Where a custom resource's scale subresource reads and writes (a CRD version's subresources.scale): the replicas
/// it sets, the replicas it reports and, optionally, the label selector it reports, as dotted paths ("spec.replicas").
/// </summary>
public sealed record ScalePaths(string SpecReplicas, string StatusReplicas, string? LabelSelector)
{
    /// <summary>The paths of a CRD version's subresources.scale, whose JSON paths start with a dot.</summary>
    public static ScalePaths From(string? specReplicasPath, string? statusReplicasPath, string? labelSelectorPath) =>
        new(Dotted(specReplicasPath) ?? "spec.replicas", Dotted(statusReplicasPath) ?? "status.replicas", Dotted(labelSelectorPath));

    private static string? Dotted(string? path) => string.IsNullOrEmpty(path) ? null : path.TrimStart('.');
}
