using Monokube.Controllers.Client;
using Monokube.Controllers.Discovery;

namespace Monokube.Testing;

/// <summary>
/// Finds the REST resource of an apiVersion and a kind (or a plural resource name) from the cluster's discovery,
/// discovering again when asked for something not seen yet (a kind a CRD has just defined).
/// </summary>
internal sealed class ResourceResolver(KubeClient client)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ApiResources? _resources;

    /// <summary>The resource, or null when the server does not serve it (after discovering afresh).</summary>
    public async Task<ResourceRef?> FindAsync(string apiVersion, string kindOrResource, CancellationToken cancellationToken)
    {
        var seen = _resources;
        if (seen is not null && Match(seen, apiVersion, kindOrResource) is { } known)
        {
            return known;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have discovered afresh while this one waited.
            if (_resources is null || ReferenceEquals(_resources, seen))
            {
                _resources = await ApiResources.DiscoverAsync(client, cancellationToken);
            }

            return Match(_resources, apiVersion, kindOrResource);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static ResourceRef? Match(ApiResources resources, string apiVersion, string kindOrResource) =>
        resources.Find(apiVersion, kindOrResource)?.Ref
        ?? resources.All.FirstOrDefault(r => r.Ref.ApiVersion == apiVersion && string.Equals(r.Ref.Plural, kindOrResource, StringComparison.OrdinalIgnoreCase))?.Ref;
}
