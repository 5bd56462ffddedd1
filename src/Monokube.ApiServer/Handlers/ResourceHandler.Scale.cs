using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Patching;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Schema;
using Monokube.ApiServer.Tables;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    private static readonly SchemaNode ScaleSchema = ModelSchemas.For(typeof(k8s.Models.V1Scale));

    /// <summary>
    /// The scale subresource (autoscaling/v1 Scale) of deployments, replica sets, stateful sets and replication
    /// controllers: reads spec.replicas, status.replicas and the selector; writes change only spec.replicas.
    /// </summary>
    private async Task ScaleAsync(HttpContext context, ResourceDefinition resource, string? ns, string name, string verb)
    {
        var current = await ReadAsync(resource, ns, name, context.RequestAborted) ?? throw new ApiException(Statuses.NotFound(resource, name));
        if (verb == "get")
        {
            await WriteScaleAsync(context, Decode(resource, current));
            return;
        }

        var dryRun = IsDryRun(context);
        JsonNode? body;
        string patchType = "";
        if (verb == "update")
        {
            var (obj, _) = await RequestBody.ReadObjectAsync(context);
            body = obj;
        }
        else
        {
            patchType = RequestBody.ContentType(context, PatchMediaTypes).Type;
            if (patchType == "application/apply-patch+yaml")
            {
                throw new ApiException(Statuses.UnsupportedMediaType("server-side apply (application/apply-patch+yaml) is not implemented by monokube yet"));
            }

            body = RequestBody.ParseJson(await RequestBody.ReadBytesAsync(context), null);
        }

        var written = await UpdateObjectAsync(context, resource, ns, name, UpdateKind.Main, 0, dryRun, current, old =>
        {
            var scale = ToScale(old);
            JsonObject desired;
            try
            {
                desired = verb == "update"
                    ? (JsonObject)body!.DeepClone()
                    : patchType switch
                    {
                        "application/json-patch+json" => JsonPatch.Apply(scale, body) as JsonObject,
                        "application/merge-patch+json" => JsonMergePatch.Apply(scale, body) as JsonObject,
                        _ => body is JsonObject smp ? StrategicMergePatch.Apply(scale, smp, ScaleSchema) : null,
                    } ?? throw new ApiException(Statuses.BadRequest("the patch does not result in a Scale object"));
            }
            catch (PatchException e)
            {
                throw new ApiException(e.Malformed ? Statuses.BadRequest(e.Message) : new Status { Message = e.Message, Reason = "Invalid", Code = 422 });
            }

            var expected = desired.GetString("metadata.resourceVersion");
            if (!string.IsNullOrEmpty(expected) && expected != old.GetString("metadata.resourceVersion"))
            {
                throw new ApiException(Statuses.Modified(resource, name));
            }

            if (desired.Find("spec.replicas") is not JsonValue replicas || !replicas.TryGetValue<long>(out var count) || count < 0)
            {
                throw new ApiException(new Status
                {
                    Message = $"Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {desired.Find("spec.replicas")?.ToJsonString() ?? "null"}: must be greater than or equal to 0",
                    Reason = "Invalid",
                    Details = new StatusDetails { Name = name, Group = "autoscaling", Kind = "Scale", Causes = [new StatusCause("FieldValueInvalid", "must be greater than or equal to 0", "spec.replicas")] },
                    Code = 422,
                });
            }

            var result = (JsonObject)old.DeepClone();
            result.GetOrAddObject("spec")["replicas"] = count;
            return result;
        }, fieldsSubresource: "scale");

        await WriteScaleAsync(context, ObjectWriter.Parse(written));
    }

    private static async Task WriteScaleAsync(HttpContext context, JsonObject obj)
    {
        await ObjectWriter.WriteBytesAsync(context, "application/json", Serialization.JsonOutput.ToBytes(ToScale(obj)));
    }

    private static JsonObject ToScale(JsonObject obj)
    {
        var meta = new ObjectMeta(obj);
        var selector = obj.Find("spec.selector") as JsonObject;
        var selectorText = selector is null ? "" : CommonColumns.SelectorText(selector).Replace("<none>", "", StringComparison.Ordinal);
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta.Name,
                ["namespace"] = meta.Namespace,
                ["uid"] = meta.Uid,
                ["resourceVersion"] = meta.ResourceVersion,
                ["creationTimestamp"] = meta.CreationTimestamp,
            },
            ["spec"] = new JsonObject { ["replicas"] = obj.Find("spec.replicas") is JsonValue r && r.TryGetValue<long>(out var n) ? n : 1 },
            ["status"] = new JsonObject
            {
                ["replicas"] = (obj.GetObject("status")?.GetLong("replicas") ?? 0),
                ["selector"] = selectorText,
            },
        };
    }

}
