using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Admission;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Registry.Strategies;
using Monokube.ApiServer.Security;
using Monokube.ApiServer.ServerSideApply;
using Monokube.ApiServer.Validation;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    private async Task CreateAsync(HttpContext context, ResourceDefinition resource, string? ns, string? nameInPath)
    {
        if (nameInPath is not null)
        {
            throw new ApiException(Statuses.MethodNotAllowed("the server does not allow this method on the requested resource"));
        }

        if (resource.Namespaced && ns is null)
        {
            throw new ApiException(Statuses.MethodNotAllowed("the server does not allow this method on the requested resource"));
        }

        var dryRun = IsDryRun(context);
        var (obj, duplicates) = await RequestBody.ReadObjectAsync(context);
        CheckTypeMeta(obj, resource);
        var written = await CreateObjectAsync(context, resource, ns, obj, duplicates, dryRun);
        await ObjectWriter.WriteObjectAsync(context, api, resource, written, StatusCodes.Status201Created);
    }

    /// <summary>Creates an object from a decoded body; returns its JSON as served. Shared by POST and create-on-PUT.</summary>
    private async Task<byte[]> CreateObjectAsync(HttpContext context, ResourceDefinition resource, string? ns, JsonObject obj, List<string> duplicates, bool dryRun, bool applied = false)
    {
        // Types first: nothing may read or set metadata fields before the body is known to have the right shape.
        FieldValidation.Apply(context, resource, obj, duplicates);
        var meta = new ObjectMeta(obj);
        CheckNamespaceOfBody(meta, resource, ns);
        if (resource.Namespaced && api.Options.AdmissionPlugins.Contains(AdmissionPlugins.NamespaceLifecycle))
        {
            await CheckNamespaceAcceptsAsync(resource, ns!, meta.Name, context.RequestAborted);
        }

        if (!string.IsNullOrEmpty(meta.ResourceVersion))
        {
            throw new ApiException(Statuses.BadRequest("resourceVersion should not be set on objects to be created"));
        }

        var generated = string.IsNullOrEmpty(meta.Name) && !string.IsNullOrEmpty(meta.GenerateName);
        var now = api.Time.GetUtcNow();
        for (var attempt = 0; ; attempt++)
        {
            if (generated)
            {
                meta.Name = meta.GenerateName + RandomSuffix();
            }

            meta.Uid = Uids.New();
            meta.Set("creationTimestamp", KubeTime.Format(now));
            meta.Set("deletionTimestamp", null);
            meta.Metadata.Remove("deletionGracePeriodSeconds");
            meta.Set("selfLink", null);
            if (resource.Strategy.TracksGeneration)
            {
                meta.SetGeneration(1);
            }
            else
            {
                meta.Metadata.Remove("generation");
            }

            resource.Strategy.PrepareForCreate(api.Strategy with { User = RequestUser.Get(context) }, resource, obj);
            KubeDefaults.Apply(resource, obj);
            if (api.Strategy.DefaultServiceAccount && resource.Group.Length == 0 && resource.Plural == "pods" && obj.GetString("spec.serviceAccountName") is { Length: > 0 } account)
            {
                await ServiceAccountLookup.RequireAsync(api.Store, api.Time, resource, ns!, meta.Name!, account, context.RequestAborted);
            }

            if (!applied)
            {
                meta.Metadata.Remove("managedFields");
                ManagedFields.TrackUpdate(null, obj, FieldManager(context), null, resource.ApiVersion, now, resource.Schema);
            }

            Validate(resource, obj, null, checkPodSpecs: true);
            await api.Admission.ValidateAsync(new AdmissionRequest(RequestUser.Get(context), resource, "", AdmissionOperation.Create, ns, meta.Name!, obj, null), context.RequestAborted);
            if (IsService(resource) && (await ReadAsync(resource, ns, meta.Name!, context.RequestAborted)) is not null && !generated)
            {
                throw new ApiException(Statuses.AlreadyExists(resource, meta.Name!));
            }

            var allocated = IsService(resource) ? await AllocateServiceAsync(obj, ns!, meta.Name!, dryRun, context.RequestAborted) : null;
            if (dryRun)
            {
                return JsonOutputBytes(obj);
            }

            StoreResult result;
            try
            {
                result = await api.Store.CreateAsync(resource.Key(ns, meta.Name!), ToStorage(resource, obj), context.RequestAborted);
            }
            catch
            {
                await api.ClusterIps.ReleaseAsync(allocated, CancellationToken.None);
                throw;
            }

            if (result.Status != StoreStatus.Ok)
            {
                await api.ClusterIps.ReleaseAsync(allocated, CancellationToken.None);
            }

            switch (result.Status)
            {
                case StoreStatus.Ok:
                    NoteNamespaceWrite(resource, result.Revision);
                    return Served(resource, result.Object!);
                case StoreStatus.AlreadyExists when generated && attempt < 8:
                    continue;
                case StoreStatus.AlreadyExists:
                    throw new ApiException(Statuses.AlreadyExists(resource, meta.Name!));
                case StoreStatus.TooLarge:
                    throw new ApiException(Statuses.RequestEntityTooLarge($"the object is larger than the store accepts ({StoreLimits.DefaultMaxValueBytes} bytes)"));
                default:
                    throw new ApiException(Statuses.InternalError("unexpected store result " + result.Status));
            }
        }
    }

    private async Task UpdateAsync(HttpContext context, ResourceDefinition resource, string? ns, string name, UpdateKind kind)
    {
        var dryRun = IsDryRun(context);
        var (obj, duplicates) = await RequestBody.ReadObjectAsync(context);
        CheckTypeMeta(obj, resource);
        FieldValidation.Apply(context, resource, obj, duplicates);
        var meta = new ObjectMeta(obj);
        if (string.IsNullOrEmpty(meta.Name))
        {
            meta.Name = name;
        }
        else if (meta.Name != name)
        {
            throw new ApiException(Statuses.BadRequest($"the name of the object ({meta.Name}) does not match the name on the URL ({name})"));
        }

        CheckNamespaceOfBody(meta, resource, ns);
        var expected = ParseResourceVersion(meta.ResourceVersion, resource, name);

        var current = await ReadAsync(resource, ns, name, context.RequestAborted);
        if (current is null)
        {
            if (kind == UpdateKind.Main && resource.Strategy.AllowCreateOnUpdate)
            {
                meta.ResourceVersion = null;
                var created = await CreateObjectAsync(context, resource, ns, obj, [], dryRun);
                await ObjectWriter.WriteObjectAsync(context, api, resource, created, StatusCodes.Status201Created);
                return;
            }

            throw new ApiException(Statuses.NotFound(resource, name));
        }

        var written = await UpdateObjectAsync(context, resource, ns, name, kind, expected, dryRun, current, _ => (JsonObject)obj.DeepClone());
        await ObjectWriter.WriteObjectAsync(context, api, resource, written);
    }

    /// <summary>
    /// The read-modify-write loop of every update: <paramref name="produce"/> turns the current object into the
    /// desired one; the server then applies the strategy, validates and writes with a revision precondition. If the
    /// object changed meanwhile and the client did not pin a resourceVersion, it is read again and the loop repeats.
    /// </summary>
    private async Task<byte[]> UpdateObjectAsync(HttpContext context, ResourceDefinition resource, string? ns, string name, UpdateKind kind, long expected, bool dryRun, StoredObject current, Func<JsonObject, JsonObject> produce, string? fieldsSubresource = null, bool applied = false)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (expected != 0 && expected != current.ModRevision)
            {
                throw new ApiException(Statuses.Modified(resource, name));
            }

            var old = Decode(resource, current);
            var desired = produce(old);
            CheckTypeMeta(desired, resource);
            var obj = kind switch
            {
                UpdateKind.Status => resource.Strategy.PrepareForStatusUpdate(api.Strategy with { User = RequestUser.Get(context) }, desired, old),
                UpdateKind.Finalize => NamespaceStrategy.PrepareForFinalize(desired, old),
                UpdateKind.Approval => PrepareForApproval(desired, old),
                _ => desired,
            };

            var meta = new ObjectMeta(obj);
            var oldMeta = new ObjectMeta(old);
            if (meta.Uid is { Length: > 0 } uid && uid != oldMeta.Uid)
            {
                throw new ApiException(Statuses.Conflict(resource, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {oldMeta.Uid}"));
            }

            // What clients cannot change through an update.
            meta.Name = oldMeta.Name;
            meta.Namespace = oldMeta.Namespace;
            meta.Uid = oldMeta.Uid;
            meta.Set("creationTimestamp", oldMeta.CreationTimestamp);
            meta.Set("deletionTimestamp", oldMeta.DeletionTimestamp);
            meta.Metadata.SetOrRemove("deletionGracePeriodSeconds", old["metadata"]?["deletionGracePeriodSeconds"]?.DeepClone());
            meta.Set("selfLink", null);
            meta.ResourceVersion = null;
            if (kind == UpdateKind.Main)
            {
                resource.Strategy.PrepareForUpdate(api.Strategy with { User = RequestUser.Get(context) }, resource, obj, old);
            }

            KubeDefaults.Apply(resource, obj);

            var subresource = fieldsSubresource ?? kind switch
            {
                UpdateKind.Status => "status",
                UpdateKind.Approval => "approval",
                UpdateKind.Finalize => "finalize",
                _ => null,
            };
            if (!applied)
            {
                ManagedFields.TrackUpdate(old, obj, FieldManager(context), subresource, resource.ApiVersion, api.Time.GetUtcNow(), resource.Schema);
            }

            if (resource.Strategy.TracksGeneration)
            {
                var generation = Math.Max(oldMeta.Generation, 1);
                meta.SetGeneration(kind == UpdateKind.Main && resource.Strategy.SpecChanged(obj, old) ? generation + 1 : generation);
            }
            else
            {
                meta.Metadata.Remove("generation");
            }

            Validate(resource, obj, old, checkPodSpecs: kind == UpdateKind.Main);
            await api.Admission.ValidateAsync(new AdmissionRequest(RequestUser.Get(context), resource, subresource ?? "", AdmissionOperation.Update, ns, name, obj, old), context.RequestAborted);

            // An object being deleted whose last finalizer is gone is deleted now, unless a grace period is still
            // running (a terminating pod's kubelet patches its status before its final delete).
            if (oldMeta.DeletionTimestamp is not null && meta.FinalizerNames.Count == 0 && (oldMeta.Metadata.GetLong("deletionGracePeriodSeconds") ?? 0) == 0
                && !(resource.Plural == "namespaces" && HasSpecFinalizers(obj)))
            {
                if (dryRun)
                {
                    return Served(resource, current);
                }

                var deleted = await api.Store.DeleteAsync(current.Key, new Preconditions(current.ModRevision), context.RequestAborted);
                if (deleted.Status == StoreStatus.Ok)
                {
                    NoteNamespaceWrite(resource, deleted.Revision);
                    await ReleaseServiceAsync(resource, obj);
                    return StoredValueFormat.WithResourceVersion(JsonOutputBytes(obj), deleted.Revision);
                }

                current = await RereadOrThrowAsync(resource, ns, name, deleted, expected, context.RequestAborted);
                continue;
            }

            // kube-apiserver does not write an update that changes nothing: the resourceVersion stays the same.
            if (JsonNode.DeepEquals(StripForComparison(obj), StripForComparison(Decode(resource, current))))
            {
                return Served(resource, current);
            }

            if (dryRun)
            {
                return StoredValueFormat.WithResourceVersion(JsonOutputBytes(obj), current.ModRevision);
            }

            var result = await api.Store.UpdateAsync(current.Key, ToStorage(resource, obj), new Preconditions(current.ModRevision), context.RequestAborted);
            switch (result.Status)
            {
                case StoreStatus.Ok:
                    NoteNamespaceWrite(resource, result.Revision);
                    return Served(resource, result.Object!);
                case StoreStatus.TooLarge:
                    throw new ApiException(Statuses.RequestEntityTooLarge($"the object is larger than the store accepts ({StoreLimits.DefaultMaxValueBytes} bytes)"));
            }

            current = await RereadOrThrowAsync(resource, ns, name, result, expected, context.RequestAborted);
            if (attempt > 100)
            {
                throw new ApiException(Statuses.Modified(resource, name));
            }
        }
    }

    // certificatesigningrequests/approval changes only the Approved/Denied/Failed conditions.
    // kube's CSR approval strategy: the spec and the status but its conditions come from the stored object, the
    // conditions and the metadata from the request.
    private static JsonObject PrepareForApproval(JsonObject obj, JsonObject old)
    {
        var result = (JsonObject)old.DeepClone();
        var conditions = obj.Find("status.conditions")?.DeepClone();
        result.GetOrAddObject("status").SetOrRemove("conditions", conditions);
        if (obj["metadata"] is JsonObject metadata)
        {
            var kept = (JsonObject)metadata.DeepClone();
            kept.SetOrRemove("generation", old.Find("metadata.generation")?.DeepClone());
            result["metadata"] = kept;
        }

        return result;
    }

    private async Task<StoredObject> RereadOrThrowAsync(ResourceDefinition resource, string? ns, string name, StoreResult result, long expected, CancellationToken cancellationToken)
    {
        if (result.Status == StoreStatus.NotFound)
        {
            throw new ApiException(Statuses.NotFound(resource, name));
        }

        if (expected != 0)
        {
            throw new ApiException(Statuses.Modified(resource, name));
        }

        return await ReadAsync(resource, ns, name, cancellationToken) ?? throw new ApiException(Statuses.NotFound(resource, name));
    }

    private static JsonObject StripForComparison(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is JsonObject meta)
        {
            meta.Remove("resourceVersion");
            meta.Remove("managedFields");
        }

        return copy;
    }

    private static bool HasSpecFinalizers(JsonObject ns) => ns["spec"]?["finalizers"] is JsonArray { Count: > 0 };

    // Status and other subresource writes keep the stored spec, so the cluster's policy on pod specs is not checked
    // again for them (kube validates only the status there).
    private void Validate(ResourceDefinition resource, JsonObject obj, JsonObject? old, bool checkPodSpecs)
    {
        var causes = new List<StatusCause>();
        var meta = new ObjectMeta(obj);
        ObjectMetaValidation.Validate(meta.Metadata, resource.Strategy.NameRule, causes);
        if (resource.Namespaced && string.IsNullOrEmpty(meta.Namespace))
        {
            causes.Add(FieldErrors.Required("metadata.namespace"));
        }

        resource.Strategy.Validate(obj, causes);
        if (old is not null)
        {
            resource.Strategy.ValidateUpdate(obj, old, causes);
        }

        if (checkPodSpecs && !api.Options.AllowPrivileged)
        {
            PrivilegedContainers.Check(resource, obj, causes);
        }

        if (causes.Count > 0)
        {
            throw new ApiException(Statuses.Invalid(resource, meta.Name ?? meta.GenerateName, causes));
        }
    }

    private static void CheckNamespaceOfBody(ObjectMeta meta, ResourceDefinition resource, string? ns)
    {
        if (!resource.Namespaced)
        {
            meta.Namespace = null;
            return;
        }

        if (string.IsNullOrEmpty(meta.Namespace))
        {
            meta.Namespace = ns;
        }
        else if (meta.Namespace != ns)
        {
            throw new ApiException(Statuses.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
        }
    }

    /// <summary>Objects can be created only in a namespace that exists and is not being deleted (kube's NamespaceLifecycle admission).</summary>
    private async Task CheckNamespaceAcceptsAsync(ResourceDefinition resource, string ns, string? name, CancellationToken cancellationToken)
    {
        var phase = await api.Namespaces.PhaseAsync(ns, cancellationToken);
        if (phase is null)
        {
            throw new ApiException(Statuses.NotFound("", "namespaces", ns));
        }

        if (phase == "Terminating")
        {
            throw new ApiException(new Status
            {
                Message = $"{resource.QualifiedPlural}{(string.IsNullOrEmpty(name) ? "" : $" \"{name}\"")} is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                Reason = "Forbidden",
                Details = new StatusDetails { Group = resource.Group.Length == 0 ? null : resource.Group, Kind = resource.Plural, Causes = [new StatusCause("NamespaceTerminating", $"namespace {ns} is being terminated", "metadata.namespace")] },
                Code = 403,
            });
        }
    }

    // NamespaceLifecycle reads namespaces from a cache; a namespace changed here is read live until the cache has it.
    private void NoteNamespaceWrite(ResourceDefinition resource, long revision)
    {
        if (resource.Plural == "namespaces" && resource.Group.Length == 0)
        {
            api.Namespaces.Written(revision);
        }
    }

    private static string RandomSuffix()
    {
        Span<char> chars = stackalloc char[5];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)];
        }

        return new string(chars);
    }

    /// <summary>The request's field manager (?fieldManager or the user agent), validated as kube-apiserver does.</summary>
    private static string FieldManager(HttpContext context)
    {
        var requested = context.Request.Query["fieldManager"].ToString();
        if (requested.Length > ManagedFields.MaxManagerLength)
        {
            throw new ApiException(Statuses.BadRequest($"fieldManager: Too long: must have at most {ManagedFields.MaxManagerLength} bytes"));
        }

        return ManagedFields.ManagerOf(requested, context.Request.Headers.UserAgent.ToString());
    }

    private static byte[] JsonOutputBytes(JsonObject obj) => Serialization.JsonOutput.ToBytes(obj);

    internal static string FormatRevision(long revision) => revision.ToString(CultureInfo.InvariantCulture);
}
