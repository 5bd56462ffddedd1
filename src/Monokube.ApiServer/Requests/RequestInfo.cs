namespace Monokube.ApiServer.Requests;

/// <summary>
/// What a request addresses, parsed from its path and method as kube-apiserver's RequestInfoFactory does: the
/// verb (get, list, watch, create, update, patch, delete, deletecollection), group/version, namespace, resource,
/// name and subresource. Requests outside /api and /apis, and discovery paths, are not resource requests.
/// </summary>
public sealed record RequestInfo
{
    public required bool IsResourceRequest { get; init; }

    public required string Path { get; init; }

    public required string Verb { get; init; }

    /// <summary>"api" or "apis", or empty for a non-API path.</summary>
    public string ApiPrefix { get; init; } = "";

    public string Group { get; init; } = "";

    public string Version { get; init; } = "";

    public string? Namespace { get; init; }

    public string Resource { get; init; } = "";

    public string? Subresource { get; init; }

    public string? Name { get; init; }

    /// <summary>Path segments after the subresource (a proxy path), kept for completeness.</summary>
    public IReadOnlyList<string> Rest { get; init; } = [];
}
