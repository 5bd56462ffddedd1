using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Patching;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;

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
            throw new ApiException(Statuses.UnsupportedMediaType("server-side apply (application/apply-patch+yaml) is not implemented by monokube yet; use client-side kubectl apply"));
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
                throw new ApiException(e.Malformed ? Statuses.BadRequest(e.Message) : new Status { Message = e.Message, Reason = "Invalid", Code = 422 });
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
}
