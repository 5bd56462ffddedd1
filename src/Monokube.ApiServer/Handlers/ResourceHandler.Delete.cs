using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Admission;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Security;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    private const string OrphanFinalizer = "orphan";
    private const string ForegroundFinalizer = "foregroundDeletion";

    private async Task DeleteAsync(HttpContext context, ResourceDefinition resource, string? ns, string name)
    {
        var options = await DeleteOptions.ReadAsync(context);
        var (code, body) = await DeleteObjectAsync(context, resource, ns, name, options);
        context.Response.StatusCode = code;
        await ObjectWriter.WriteBytesAsync(context, "application/json", body);
    }

    /// <summary>
    /// Deletes one object as kube-apiserver does: preconditions checked, then either immediate removal, or — for
    /// objects with finalizers (including those the propagation policy adds) and for pods bound to a node —
    /// a deletionTimestamp that the finalizers' owners or the kubelet act on. Returns the status code and body.
    /// </summary>
    private async Task<(int Code, byte[] Body)> DeleteObjectAsync(HttpContext context, ResourceDefinition resource, string? ns, string name, DeleteOptions options)
    {
        while (true)
        {
            var current = await ReadAsync(resource, ns, name, context.RequestAborted) ?? throw new ApiException(Statuses.NotFound(resource, name));
            var obj = Decode(resource, current);
            var meta = new ObjectMeta(obj);
            if (options.PreconditionUid is { } uid && uid != meta.Uid)
            {
                throw new ApiException(Statuses.Conflict(resource, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {meta.Uid}"));
            }

            if (options.PreconditionResourceVersion is { } rv && rv != meta.ResourceVersion)
            {
                throw new ApiException(Statuses.Conflict(resource, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {meta.ResourceVersion}"));
            }

            await api.Admission.ValidateAsync(new AdmissionRequest(RequestUser.Get(context), resource, "", AdmissionOperation.Delete, ns, name, null, obj), context.RequestAborted);
            var finalizers = meta.FinalizerNames.ToList();
            var addFinalizer = options.PropagationPolicy switch
            {
                "Orphan" => OrphanFinalizer,
                "Foreground" => ForegroundFinalizer,
                _ => null,
            };
            var graceful = GracePeriod(resource, obj, options);
            var pending = finalizers.Count > 0 || addFinalizer is not null || graceful > 0 || (resource.Plural == "namespaces");

            if (!pending)
            {
                if (options.DryRun)
                {
                    return (StatusCodes.Status200OK, DeletedBody(resource, obj, current.ModRevision));
                }

                var deleted = await api.Store.DeleteAsync(current.Key, new Preconditions(current.ModRevision, meta.Uid), context.RequestAborted);
                if (deleted.Status == StoreStatus.Ok)
                {
                    await ReleaseServiceAsync(resource, obj);
                    return (StatusCodes.Status200OK, DeletedBody(resource, obj, deleted.Revision));
                }

                if (deleted.Status == StoreStatus.NotFound)
                {
                    throw new ApiException(Statuses.NotFound(resource, name));
                }

                continue;
            }

            // Graceful or finalized deletion: mark the object and let its owners finish the job.
            var now = api.Time.GetUtcNow();
            var alreadyDeleting = meta.DeletionTimestamp is not null;
            if (addFinalizer is not null)
            {
                var list = meta.Metadata["finalizers"] as JsonArray ?? [];
                var opposite = addFinalizer == OrphanFinalizer ? ForegroundFinalizer : OrphanFinalizer;
                foreach (var item in list.Where(f => f?.ToString() == opposite).ToList())
                {
                    list.Remove(item);
                }

                if (!list.Any(f => f?.ToString() == addFinalizer))
                {
                    list.Add((JsonNode)addFinalizer);
                }

                meta.Metadata["finalizers"] = list;
            }

            if (!alreadyDeleting)
            {
                meta.Set("deletionTimestamp", KubeTime.Format(now + TimeSpan.FromSeconds(graceful)));
                meta.Metadata["deletionGracePeriodSeconds"] = graceful;
                if (resource.Plural == "namespaces")
                {
                    obj.GetOrAddObject("status")["phase"] = "Terminating";
                }
            }
            else if (graceful < (meta.Metadata.GetLong("deletionGracePeriodSeconds") ?? long.MaxValue))
            {
                // A shorter grace period may replace a longer one (kubectl delete --grace-period=0 --force).
                meta.Set("deletionTimestamp", KubeTime.Format(now + TimeSpan.FromSeconds(graceful)));
                meta.Metadata["deletionGracePeriodSeconds"] = graceful;
            }

            // A pod with no finalizers and no grace left goes now.
            if (resource.Plural == "pods" && graceful == 0 && meta.FinalizerNames.Count == 0)
            {
                if (options.DryRun)
                {
                    return (StatusCodes.Status200OK, DeletedBody(resource, obj, current.ModRevision));
                }

                var deleted = await api.Store.DeleteAsync(current.Key, new Preconditions(current.ModRevision, meta.Uid), context.RequestAborted);
                if (deleted.Status == StoreStatus.Ok)
                {
                    return (StatusCodes.Status200OK, DeletedBody(resource, obj, deleted.Revision));
                }

                continue;
            }

            meta.ResourceVersion = null;
            if (options.DryRun)
            {
                return (StatusCodes.Status200OK, StoredValueFormat.WithResourceVersion(JsonOutput.ToBytes(obj), current.ModRevision));
            }

            var updated = await api.Store.UpdateAsync(current.Key, ToStorage(resource, obj), new Preconditions(current.ModRevision), context.RequestAborted);
            if (updated.Status == StoreStatus.Ok)
            {
                NoteNamespaceWrite(resource, updated.Revision);
                var code = options.PropagationPolicy is null or "Orphan" ? StatusCodes.Status200OK : StatusCodes.Status202Accepted;
                return (code, Served(resource, updated.Object!));
            }

            if (updated.Status == StoreStatus.NotFound)
            {
                throw new ApiException(Statuses.NotFound(resource, name));
            }
        }
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourceDefinition resource, string? ns)
    {
        var options = await DeleteOptions.ReadAsync(context);
        var query = ListQuery.Parse(context.Request.Query, resource, watch: false) with { Limit = 0, Continue = null };
        var (items, metadata) = await ReadPageAsync(resource, ns, query, context.RequestAborted);
        var remaining = new List<byte[]>();
        foreach (var item in items)
        {
            var obj = ObjectWriter.Parse(item);
            var meta = new ObjectMeta(obj);
            try
            {
                var (_, body) = await DeleteObjectAsync(context, resource, meta.Namespace, meta.Name!, options with { PreconditionResourceVersion = null, PreconditionUid = null });
                if (resource.Plural != "pods" || ObjectWriter.Parse(body).GetString("metadata.deletionTimestamp") is not null)
                {
                    remaining.Add(body);
                }
            }
            catch (ApiException e) when (e.Status.Code == 404)
            {
                // Deleted by someone else meanwhile.
            }
        }

        var format = OutputNegotiation.Negotiate(context.Request.Headers.Accept, isList: true);
        await ObjectWriter.WriteListAsync(context, api, resource, remaining, metadata with { Continue = null, RemainingItemCount = null }, format, query.IncludeObject);
    }

    /// <summary>
    /// The grace period of a delete: only pods bound to a node have one (their kubelet stops them first); the
    /// request's gracePeriodSeconds overrides the pod's terminationGracePeriodSeconds.
    /// </summary>
    private static long GracePeriod(ResourceDefinition resource, JsonObject obj, DeleteOptions options)
    {
        if (resource.Plural != "pods" || string.IsNullOrEmpty(obj.GetString("spec.nodeName")))
        {
            return 0;
        }

        var phase = obj.GetString("status.phase");
        if (phase is "Succeeded" or "Failed")
        {
            return 0;
        }

        return options.GracePeriodSeconds ?? obj.GetObject("spec")?.GetLong("terminationGracePeriodSeconds") ?? 30;
    }

    // kube answers an immediate delete with the deleted object for a few types (pods, services) and with a
    // Status "Success" naming the object for the rest.
    private static byte[] DeletedBody(ResourceDefinition resource, JsonObject obj, long revision)
    {
        var meta = new ObjectMeta(obj);
        if (!resource.Strategy.ReturnsDeletedObject)
        {
            return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Statuses.Success(resource, meta.Name!, meta.Uid), ApiJsonContext.Compact.Status);
        }

        meta.ResourceVersion = null;
        return StoredValueFormat.WithResourceVersion(JsonOutput.ToBytes(obj), revision);
    }
}
