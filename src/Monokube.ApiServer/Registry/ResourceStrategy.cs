using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry;

/// <summary>
/// A resource's own rules, as kube-apiserver's registry strategies give them: defaults and status handling on
/// create and update, validation, the fields a field selector may use, and the columns of its Table.
/// The base class is the behaviour of a plain resource (ConfigMap-like, no generation).
/// </summary>
public class ResourceStrategy
{
    public static ResourceStrategy Default { get; } = new();

    /// <summary>Workloads and other objects whose metadata.generation counts spec changes.</summary>
    public static ResourceStrategy TrackingGeneration { get; } = new() { TracksGeneration = true };

    /// <summary>RBAC objects, whose names need only be valid path segments ("system:node").</summary>
    public static ResourceStrategy PathSegmentNames { get; } = new() { NameRule = NameRule.PathSegment };

    public bool TracksGeneration { get; init; }

    public NameRule NameRule { get; init; } = NameRule.DnsSubdomain;

    /// <summary>Whether an immediate delete answers with the deleted object (pods, services) rather than a Status.</summary>
    public bool ReturnsDeletedObject { get; init; }

    /// <summary>Whether PUT on a missing object creates it (kube: true for a few types such as nodes' leases? no: events, endpoints).</summary>
    public virtual bool AllowCreateOnUpdate => false;

    /// <summary>
    /// Sets what the server owns on a new object: clears status where a status subresource owns it, applies
    /// defaults. Metadata (uid, timestamps, generation) is set by the caller.
    /// </summary>
    public virtual void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        if (resource.FindSubresource("status") is not null && ResetsStatusOnCreate)
        {
            obj.Remove("status");
        }
    }

    /// <summary>Whether a create drops the status the client sent (true for most types that have a status subresource).</summary>
    protected virtual bool ResetsStatusOnCreate => true;

    /// <summary>
    /// Carries over what an update of the main resource may not change. With a status subresource the main
    /// resource's status is not writable: the stored status is kept.
    /// </summary>
    public virtual void PrepareForUpdate(StrategyContext context, ResourceDefinition resource, JsonObject obj, JsonObject old)
    {
        if (resource.FindSubresource("status") is not null)
        {
            obj.SetOrRemove("status", old["status"]?.DeepClone());
        }
    }

    /// <summary>
    /// Metadata an update through /status takes from the stored object rather than the request (kube's status
    /// strategies: labels for Deployments, ownerReferences for pods, labels, annotations, finalizers and
    /// ownerReferences for VolumeAttachments; nothing for most).
    /// </summary>
    public IReadOnlyList<string> MetadataKeptOnStatusUpdate { get; init; } = [];

    /// <summary>
    /// An update through /status, as kube's status strategies make it: the spec (every top-level field but metadata
    /// and status) and the generation come from the stored object, the status and the metadata from the request
    /// (less <see cref="MetadataKeptOnStatusUpdate"/>); the caller then keeps what no update may change.
    /// </summary>
    public virtual JsonObject PrepareForStatusUpdate(StrategyContext context, JsonObject obj, JsonObject old)
    {
        var result = (JsonObject)old.DeepClone();
        var metadata = obj["metadata"] is JsonObject sent ? (JsonObject)sent.DeepClone() : [];
        var oldMetadata = old["metadata"] as JsonObject ?? [];
        foreach (var field in MetadataKeptOnStatusUpdate.Append("generation"))
        {
            metadata.SetOrRemove(field, oldMetadata[field]?.DeepClone());
        }

        result["metadata"] = metadata;
        result.SetOrRemove("status", obj["status"]?.DeepClone());
        return result;
    }

    /// <summary>Type-specific validation of a new object; metadata is validated by the caller.</summary>
    public virtual void Validate(JsonObject obj, List<StatusCause> causes)
    {
    }

    /// <summary>Type-specific validation of an update (immutable fields); runs after <see cref="Validate"/>.</summary>
    public virtual void ValidateUpdate(JsonObject obj, JsonObject old, List<StatusCause> causes)
    {
    }

    /// <summary>Field selector labels beyond metadata.name and metadata.namespace, with how to read each.</summary>
    public virtual IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields => NoFields;

    /// <summary>Whether the object's spec (everything but metadata and status) changed, which bumps the generation.</summary>
    public virtual bool SpecChanged(JsonObject obj, JsonObject old)
    {
        foreach (var (name, value) in obj)
        {
            if (name is "metadata" or "status" or "apiVersion" or "kind")
            {
                continue;
            }

            if (!JsonNode.DeepEquals(value, old[name]))
            {
                return true;
            }
        }

        foreach (var (name, _) in old)
        {
            if (name is not ("metadata" or "status" or "apiVersion" or "kind") && !obj.ContainsKey(name))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly Dictionary<string, Func<JsonObject, string?>> NoFields = [];
}
