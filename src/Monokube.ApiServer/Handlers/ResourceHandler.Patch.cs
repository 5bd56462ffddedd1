using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Patching;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;
using Monokube.ApiServer.ServerSideApply;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    private static readonly string[] PatchMediaTypes =
        ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

    /// <summary>
    /// PATCH with a JSON patch, a JSON merge patch or a strategic merge patch: applied to the current object inside
    /// the update loop, so a concurrent change re-applies the patch to the newer object instead of failing.
    /// </summary>
    private async Task PatchAsync(HttpContext context, ResourceDefinition resource, string? ns, string name, UpdateKind kind)
    {
        var type = RequestBody.ContentType(context, PatchMediaTypes);
        var dryRun = IsDryRun(context);
        if (type.Type == "application/apply-patch+yaml")
        {
            await ApplyAsync(context, resource, ns, name, kind, dryRun);
            return;
        }

        if (type.Type == "application/strategic-merge-patch+json" && !resource.IsBuiltinGroup)
        {
            throw new ApiException(Statuses.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"));
        }

        var bytes = await RequestBody.ReadBytesAsync(context);
        var patch = RequestBody.ParseJson(bytes, null);
        var current = await ReadAsync(resource, ns, name, context.RequestAborted) ?? throw new ApiException(Statuses.NotFound(resource, name));

        // A resourceVersion inside the patch is a precondition, as in kube-apiserver.
        var expected = patch is JsonObject p && p["metadata"] is JsonObject m && m["resourceVersion"] is JsonValue rv
            ? ParseResourceVersion(rv.ToString(), resource, name)
            : 0;

        var written = await UpdateObjectAsync(context, resource, ns, name, kind, expected, dryRun, current, old =>
        {
            JsonNode? patched;
            try
            {
                patched = type.Type switch
                {
                    "application/json-patch+json" => JsonPatch.Apply(old, patch),
                    "application/merge-patch+json" => JsonMergePatch.Apply(old.DeepClone(), patch),
                    _ => patch is JsonObject smp ? StrategicMergePatch.Apply(old, smp, resource.Schema) : throw new PatchException("a strategic merge patch must be a JSON object", malformed: true),
                };
            }
            catch (PatchException e)
            {
                throw PatchFailed(e);
            }

            if (patched is not JsonObject result)
            {
                throw new ApiException(new Status { Message = "the patch does not result in an object", Reason = "Invalid", Code = 422 });
            }

            var meta = new ObjectMeta(result);
            if (meta.Name != name)
            {
                throw new ApiException(Statuses.BadRequest($"the name of the object ({meta.Name}) does not match the name on the URL ({name})"));
            }

            FieldValidation.Apply(context, resource, result, []);
            return result;
        });

        await ObjectWriter.WriteObjectAsync(context, api, resource, written);
    }

    /// <summary>
    /// Server-side apply (application/apply-patch+yaml): the body is the manager's whole intent; it is merged into
    /// the live object (or creates it), with field ownership checked and recorded in managedFields.
    /// </summary>
    private async Task ApplyAsync(HttpContext context, ResourceDefinition resource, string? ns, string name, UpdateKind kind, bool dryRun)
    {
        var manager = context.Request.Query["fieldManager"].ToString();
        if (manager.Length == 0)
        {
            throw new ApiException(new Status
            {
                Message = "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                Reason = "Invalid",
                Details = new StatusDetails { Group = "meta.k8s.io", Kind = "PatchOptions", Causes = [new StatusCause("FieldValueRequired", "Required value: is required for apply patch", "fieldManager")] },
                Code = 422,
            });
        }

        var force = context.Request.Query["force"].ToString() is "true" or "1";
        var bytes = await RequestBody.ReadBytesAsync(context);
        var applied = RequestBody.ParseYaml(bytes) as JsonObject ?? throw new ApiException(Statuses.BadRequest("an apply patch must be an object"));
        CheckTypeMeta(applied, resource);
        var meta = new ObjectMeta(applied);
        if (meta.Name is null)
        {
            meta.Name = name;
        }
        else if (meta.Name != name)
        {
            throw new ApiException(Statuses.BadRequest($"the name of the object ({meta.Name}) does not match the name on the URL ({name})"));
        }

        CheckNamespaceOfBody(meta, resource, ns);
        FieldValidation.Apply(context, resource, applied, []);
        var subresource = kind == UpdateKind.Status ? "status" : null;
        var now = api.Time.GetUtcNow();

        var current = await ReadAsync(resource, ns, name, context.RequestAborted);
        if (current is null)
        {
            if (kind != UpdateKind.Main)
            {
                throw new ApiException(Statuses.NotFound(resource, name));
            }

            var created = ApplyOrRefuse(resource, ns, name, [], applied, manager, force, null, now).Object!;
            var body = await CreateObjectAsync(context, resource, ns, created, [], dryRun, applied: true);
            await ObjectWriter.WriteObjectAsync(context, api, resource, body, StatusCodes.Status201Created);
            return;
        }

        var written = await UpdateObjectAsync(context, resource, ns, name, kind, 0, dryRun, current, old =>
        {
            var result = ApplyOrRefuse(resource, ns, name, old, applied, manager, force, subresource, now);
            if (result.Object is null)
            {
                throw new ApiException(ApplyConflictStatus(result.Conflicts));
            }

            return result.Object;
        }, applied: true);

        await ObjectWriter.WriteObjectAsync(context, api, resource, written);
    }

    // An applied configuration that is no object of its type is refused as kube-apiserver refuses it: a 500 whose
    // message names the object and the first offending field (kubectl: "Error from server: failed to create typed
    // patch object ..."); a keyed list element the merge cannot place is the client's mistake.
    private static Applier.Result ApplyOrRefuse(ResourceDefinition resource, string? ns, string name, JsonObject live, JsonObject applied, string manager, bool force, string? subresource, DateTimeOffset now)
    {
        try
        {
            return Applier.Apply(live, applied, manager, force, subresource, resource.ApiVersion, now, resource.Schema);
        }
        catch (ApplyConfigurationException e)
        {
            throw new ApiException(new Status { Message = $"failed to create typed patch object ({ns}/{name}; {resource.Group}/{resource.Version}, Kind={resource.Kind}): {e.Message}", Code = 500 });
        }
        catch (PatchException e)
        {
            throw PatchFailed(e);
        }
    }

    // A patch that cannot be applied: malformed (400) or not applicable to the object (422 Invalid).
    private static ApiException PatchFailed(PatchException e) =>
        new(e.Malformed ? Statuses.BadRequest(e.Message) : new Status { Message = e.Message, Reason = "Invalid", Code = 422 });

    private static Status ApplyConflictStatus(IReadOnlyList<ApplyConflict> conflicts)
    {
        var groups = conflicts.GroupBy(c => (c.Manager, c.ApiVersion)).ToList();
        var parts = groups.Select(g => g.Count() == 1
            ? $"conflict with \"{g.Key.Manager}\" using {g.Key.ApiVersion}: {g.First().Field}"
            : $"conflicts with \"{g.Key.Manager}\" using {g.Key.ApiVersion}:\n" + string.Join("\n", g.Select(c => "- " + c.Field)));
        return new Status
        {
            Message = $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}: {string.Join("\n", parts)}",
            Reason = "Conflict",
            Details = new StatusDetails
            {
                Causes = [.. conflicts.Select(c => new StatusCause("FieldManagerConflict", $"conflict with \"{c.Manager}\" using {c.ApiVersion}", c.Field))],
            },
            Code = 409,
        };
    }
}
