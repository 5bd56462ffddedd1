using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Requests;
using Monokube.ApiServer.Serialization;
using Monokube.ApiServer.Validation;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

/// <summary>
/// The REST verbs over every resource of the registry: one non-generic handler, driven by the resource's
/// definition and strategy. Partial files hold the verb groups (read, watch, write, delete).
/// </summary>
public sealed partial class ResourceHandler(ApiContext api, ReviewHandler reviews, Kubelet.KubeletClient kubelet)
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public Task HandleAsync(HttpContext context, RequestInfo info, ResourceDefinition resource)
    {
        var ns = ResolveNamespace(info, resource);
        if (info.Subresource is { } sub)
        {
            return HandleSubresourceAsync(context, info, resource, ns, sub);
        }

        if (!resource.Supports(info.Verb))
        {
            throw new ApiException(Statuses.MethodNotAllowed($"the server does not allow this method on the requested resource"));
        }

        if (resource.Virtual && info.Verb == "create" && info.Name is null)
        {
            return reviews.HandleAsync(context, resource, ns);
        }

        if (resource.Plural == "bindings" && info.Verb == "create" && info.Name is null)
        {
            return BindingResourceAsync(context, ns!);
        }

        return info.Verb switch
        {
            "get" => GetAsync(context, resource, ns, info.Name!),
            "list" => ListAsync(context, resource, ns),
            "watch" => WatchAsync(context, resource, ns, info.Name),
            "create" => CreateAsync(context, resource, ns, info.Name),
            "update" => UpdateAsync(context, resource, ns, info.Name!, UpdateKind.Main),
            "patch" => PatchAsync(context, resource, ns, info.Name!, UpdateKind.Main),
            "delete" => DeleteAsync(context, resource, ns, info.Name!),
            "deletecollection" => DeleteCollectionAsync(context, resource, ns),
            _ => throw new ApiException(Statuses.MethodNotAllowed($"the server does not allow this method on the requested resource")),
        };
    }

    private Task HandleSubresourceAsync(HttpContext context, RequestInfo info, ResourceDefinition resource, string? ns, string sub)
    {
        var definition = resource.FindSubresource(sub);
        if (definition is null || info.Name is null)
        {
            throw new ApiException(Status.NotFoundPath());
        }

        if (!definition.Verbs.Contains(info.Verb))
        {
            throw new ApiException(Statuses.MethodNotAllowed($"the server does not allow this method on the requested resource"));
        }

        var kind = sub switch
        {
            "status" => UpdateKind.Status,
            "finalize" => UpdateKind.Finalize,
            _ => (UpdateKind?)null,
        };

        if (kind is { } updateKind)
        {
            return info.Verb switch
            {
                "get" => GetAsync(context, resource, ns, info.Name),
                "update" => UpdateAsync(context, resource, ns, info.Name, updateKind),
                "patch" => PatchAsync(context, resource, ns, info.Name, updateKind),
                _ => throw new ApiException(Statuses.MethodNotAllowed("the server does not allow this method on the requested resource")),
            };
        }

        if (sub == "scale")
        {
            return ScaleAsync(context, resource, ns, info.Name, info.Verb);
        }

        if (resource.Plural == "serviceaccounts" && sub == "token")
        {
            return reviews.TokenRequestAsync(context, ns!, info.Name);
        }

        if (resource.Plural == "pods" && sub == "binding")
        {
            return BindAsync(context, ns!, info.Name);
        }

        if (resource.Plural == "pods" && sub == "log")
        {
            return LogAsync(context, ns!, info.Name);
        }

        if (resource.Plural == "pods" && sub == "eviction")
        {
            return EvictAsync(context, ns!, info.Name);
        }

        if (resource.Plural == "certificatesigningrequests" && sub == "approval")
        {
            return info.Verb switch
            {
                "get" => GetAsync(context, resource, ns, info.Name),
                "update" => UpdateAsync(context, resource, ns, info.Name, UpdateKind.Approval),
                _ => PatchAsync(context, resource, ns, info.Name, UpdateKind.Approval),
            };
        }

        throw new ApiException(Statuses.MethodNotAllowed($"the {resource.Plural}/{sub} subresource is not served by monokube yet"));
    }

    // A namespaced resource reached without a namespace lists across namespaces; a cluster-scoped resource reached
    // inside a namespace path does not exist there.
    private static string? ResolveNamespace(RequestInfo info, ResourceDefinition resource)
    {
        if (resource.Namespaced)
        {
            if (info.Namespace is null && info.Verb is not ("list" or "watch" or "deletecollection"))
            {
                throw new ApiException(Status.NotFoundPath());
            }

            if (info.Namespace is { } ns && NameValidation.CheckDnsLabel(ns).Count > 0)
            {
                throw new ApiException(Statuses.NotFound("", "namespaces", ns));
            }

            return info.Namespace;
        }

        if (info.Namespace is not null && resource.Plural != "namespaces")
        {
            throw new ApiException(Status.NotFoundPath());
        }

        return null;
    }

    private static bool IsDryRun(HttpContext context)
    {
        var values = context.Request.Query["dryRun"];
        foreach (var value in values)
        {
            if (value != "All")
            {
                throw new ApiException(Statuses.BadRequest($"Invalid dryRun value \"{value}\": supported values: \"All\""));
            }
        }

        return values.Count > 0;
    }

    private async Task<StoredObject?> ReadAsync(ResourceDefinition resource, string? ns, string name, CancellationToken cancellationToken)
    {
        var result = await api.Store.GetAsync(resource.Key(ns, name), cancellationToken);
        return result.IsOk ? result.Object : null;
    }

    /// <summary>The object's JSON as served: the stored value with metadata.resourceVersion set to its revision.</summary>
    private static byte[] Served(ResourceDefinition resource, StoredObject stored) => resource.Converter is null && !Registry.Strategies.KubeDefaults.AppliesOnRead(resource)
        ? StoredValueFormat.WithResourceVersion(stored.Value, stored.ModRevision)
        : Serialization.JsonOutput.ToBytes(Decode(resource, stored));

    private static JsonObject Decode(ResourceDefinition resource, StoredObject stored) => Decode(resource, stored.Value, stored.ModRevision);

    /// <summary>A stored value as served (converted to the served version), with the given resourceVersion.</summary>
    internal static JsonObject Decode(ResourceDefinition resource, byte[] value, long revision)
    {
        var obj = ObjectWriter.Parse(value);
        if (resource.Converter is { } converter)
        {
            obj = converter.FromStorage(obj);
        }

        if (Registry.Strategies.KubeDefaults.AppliesOnRead(resource))
        {
            Registry.Strategies.KubeDefaults.Apply(resource, obj);
        }

        new ObjectMeta(obj).ResourceVersion = revision.ToString(CultureInfo.InvariantCulture);
        return obj;
    }

    /// <summary>The bytes to store for a served object (converted to the storage version).</summary>
    private static byte[] ToStorage(ResourceDefinition resource, JsonObject obj)
    {
        DropEmptyMetadata(obj);
        return Serialization.JsonOutput.ToBytes(resource.Converter is { } converter ? converter.ToStorage(obj) : obj);
    }

    // Every ObjectMeta field is omitempty in kube: an empty list or map written by a client (or left by a patch that
    // removed the last owner or finalizer) is not stored, so readers see the field absent, as from kube-apiserver.
    private static void DropEmptyMetadata(JsonObject obj)
    {
        if (obj["metadata"] is not JsonObject metadata)
        {
            return;
        }

        foreach (var name in (ReadOnlySpan<string>)["labels", "annotations", "ownerReferences", "finalizers", "managedFields", "generateName"])
        {
            if (!metadata.TryGetPropertyValue(name, out var value))
            {
                continue;
            }

            if (value is null or JsonArray { Count: 0 } or JsonObject { Count: 0 } || value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0)
            {
                metadata.Remove(name);
            }
        }
    }

    private static long ParseResourceVersion(string? text, ResourceDefinition resource, string? name)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rv) || rv <= 0)
        {
            throw new ApiException(Statuses.Invalid(resource, name, [FieldErrors.Invalid("metadata.resourceVersion", text, "must be a positive integer")]));
        }

        return rv;
    }

    /// <summary>
    /// The body's apiVersion and kind must name this resource; missing ones are taken from the endpoint, as
    /// kube-apiserver's decoder defaults them (the official C# client sends objects without them).
    /// </summary>
    private static void CheckTypeMeta(JsonObject obj, ResourceDefinition resource)
    {
        var kind = obj["kind"] is JsonValue k && k.GetValueKind() == JsonValueKind.String ? k.GetValue<string>() : null;
        var apiVersion = obj["apiVersion"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (string.IsNullOrEmpty(apiVersion))
        {
            obj["apiVersion"] = resource.ApiVersion;
        }
        else if (apiVersion != resource.ApiVersion)
        {
            throw new ApiException(Statuses.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion})"));
        }

        if (string.IsNullOrEmpty(kind))
        {
            obj["kind"] = resource.Kind;
        }
        else if (kind != resource.Kind)
        {
            throw new ApiException(Statuses.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({resource.Kind})"));
        }
    }

    // POST /api/v1/namespaces/{ns}/bindings names the pod in the Binding's metadata.
    private async Task BindingResourceAsync(HttpContext context, string ns)
    {
        context.Request.EnableBuffering();
        var (binding, _) = await RequestBody.ReadObjectAsync(context);
        var pod = binding.GetString("metadata.name") ?? throw new ApiException(Statuses.BadRequest("a Binding names its pod in metadata.name"));
        context.Request.Body.Position = 0;
        await BindAsync(context, ns, pod);
    }

    private enum UpdateKind
    {
        Main,
        Status,
        Finalize,
        Approval,
    }
}
