using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Serialization;
using Monokube.Controllers.Client;

namespace Monokube.Testing;

public sealed partial class MonokubeCluster
{
    private static readonly ResourceRef Crds = new("apiextensions.k8s.io", "v1", "customresourcedefinitions", false);

    /// <summary>
    /// Creates or updates every object of a YAML (or JSON) text, in order: one object per document (<c>---</c>), and the
    /// items of a <c>kind: List</c>. Each is applied with server-side apply under
    /// <see cref="MonokubeClusterOptions.FieldManager"/>, taking over fields other managers own, as
    /// <c>kubectl apply --server-side --force-conflicts</c> does; namespaced objects without a namespace go to
    /// <c>default</c>. A CustomResourceDefinition is waited for until Established, so later documents may be its
    /// custom resources. Returns the objects as the server stored them.
    /// </summary>
    /// <exception cref="FormatException">The text is not YAML, or a document is not an object with apiVersion, kind and metadata.name.</exception>
    /// <exception cref="InvalidOperationException">The server does not serve a kind, or refused an object (the inner exception has its Status).</exception>
    public async Task<IReadOnlyList<JsonObject>> ApplyAsync(string yaml, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        IReadOnlyList<JsonNode?> documents;
        try
        {
            documents = YamlBodyParser.ParseDocuments(yaml);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new FormatException("the text is not valid YAML: " + e.Message, e);
        }

        var applied = new List<JsonObject>();
        var number = 0;
        foreach (var document in documents)
        {
            number++;
            switch (document)
            {
                case null:
                    continue;
                case JsonObject list when list.GetString("kind") == "List" && list["items"] is JsonArray items:
                    foreach (var item in items)
                    {
                        applied.Add(await ApplyObjectAsync(item as JsonObject ?? throw new FormatException($"document {number}: a List item is not an object"), number, cancellationToken));
                    }

                    break;
                case JsonObject obj:
                    applied.Add(await ApplyObjectAsync(obj, number, cancellationToken));
                    break;
                default:
                    throw new FormatException($"document {number} is not an object");
            }
        }

        return applied;
    }

    private async Task<JsonObject> ApplyObjectAsync(JsonObject obj, int number, CancellationToken cancellationToken)
    {
        var apiVersion = obj.GetString("apiVersion");
        var kind = obj.GetString("kind");
        var name = obj.GetString("metadata.name");
        if (apiVersion is null || kind is null || name is null)
        {
            throw new FormatException($"document {number} needs apiVersion, kind and metadata.name");
        }

        var resource = await ResolveAsync(apiVersion, kind, cancellationToken);
        var ns = resource.Namespaced ? obj.GetString("metadata.namespace") ?? "default" : null;
        JsonObject stored;
        try
        {
            stored = await _api.ApplyAsync(resource, ns, name, obj, _options.FieldManager, force: true, cancellationToken);
        }
        catch (KubeApiException e)
        {
            throw new InvalidOperationException($"applying {kind} {(ns is null ? "" : ns + "/")}{name} (document {number}) failed: {e.Message}", e);
        }

        if (resource == Crds)
        {
            await WaitForCrdEstablishedAsync(name, cancellationToken: cancellationToken);
        }

        return stored;
    }

    // The resource of a kind (or plural). A kind the server does not serve yet is waited for only while a stored
    // CustomResourceDefinition defines it; anything else fails at once rather than at a timeout.
    private async Task<ResourceRef> ResolveAsync(string apiVersion, string kindOrResource, CancellationToken cancellationToken)
    {
        if (apiVersion == ApiExtensionsV1 && kindOrResource is "CustomResourceDefinition" or "customresourcedefinitions")
        {
            return Crds;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.DefaultTimeout);
        var delay = TimeSpan.FromMilliseconds(5);
        try
        {
            while (true)
            {
                if (await _resources.FindAsync(apiVersion, kindOrResource, deadline.Token) is { } found)
                {
                    return found;
                }

                if (!await IsDefinedByCrdAsync(apiVersion, kindOrResource, deadline.Token))
                {
                    throw new InvalidOperationException($"the cluster does not serve {kindOrResource} in {apiVersion}");
                }

                await Task.Delay(delay, deadline.Token);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(200).Ticks));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{kindOrResource} in {apiVersion} is defined by a CustomResourceDefinition but was not served within {_options.DefaultTimeout}");
        }
    }

    private async Task<bool> IsDefinedByCrdAsync(string apiVersion, string kindOrResource, CancellationToken cancellationToken)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }

        var (group, version) = (apiVersion[..slash], apiVersion[(slash + 1)..]);
        var crds = await _api.ListAsync(Crds, null, cancellationToken);
        return (crds["items"] as JsonArray ?? []).OfType<JsonObject>().Any(crd =>
            crd.GetString("spec.group") == group
            && (crd.GetString("spec.names.kind") == kindOrResource || crd.GetString("spec.names.plural") == kindOrResource)
            && (crd.Find("spec.versions") as JsonArray ?? []).OfType<JsonObject>().Any(v => v.GetString("name") == version));
    }
}
