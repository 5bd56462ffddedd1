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
    private static readonly SchemaNode ScaleSchema = ModelSchemas.For("V1Scale");

    /// <summary>
    /// The scale subresource (autoscaling/v1 Scale) of deployments, replica sets, stateful sets and replication
    /// controllers: reads spec.replicas, status.replicas and the selector; writes change only spec.replicas. A custom
    /// resource's reads and writes its CRD's paths (a missing count is 0, the selector is the string at
    /// labelSelectorPath, as kube-apiserver reads them).
    /// </summary>
    private async Task ScaleAsync(HttpContext context, ResourceDefinition resource, string? ns, string name, string verb)
    {
        var current = await ReadAsync(resource, ns, name, context.RequestAborted) ?? throw new ApiException(Statuses.NotFound(resource, name));
        if (verb == "get")
        {
            await WriteScaleAsync(context, resource, Decode(resource, current));
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
            var scale = ToScale(resource, old);
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
                throw PatchFailed(e);
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
            var path = (resource.Scale?.SpecReplicas ?? "spec.replicas").Split('.');
            var parent = result;
            foreach (var part in path[..^1])
            {
                parent = parent.GetOrAddObject(part);
            }

            parent[path[^1]] = count;
            return result;
        }, fieldsSubresource: "scale");

        await WriteScaleAsync(context, resource, ObjectWriter.Parse(written));
    }

    private static async Task WriteScaleAsync(HttpContext context, ResourceDefinition resource, JsonObject obj)
    {
        await ObjectWriter.WriteBytesAsync(context, "application/json", Serialization.JsonOutput.ToBytes(ToScale(resource, obj)));
    }

    private static JsonObject ToScale(ResourceDefinition resource, JsonObject obj)
    {
        var meta = new ObjectMeta(obj);
        long specReplicas, statusReplicas;
        string selectorText;
        if (resource.Scale is { } paths)
        {
            specReplicas = Count(obj.Find(paths.SpecReplicas)) ?? 0;
            statusReplicas = Count(obj.Find(paths.StatusReplicas)) ?? 0;
            selectorText = paths.LabelSelector is null ? "" : obj.Find(paths.LabelSelector) is JsonValue s && s.GetValueKind() == System.Text.Json.JsonValueKind.String ? s.GetValue<string>() : "";
        }
        else
        {
            var selector = obj.Find("spec.selector") as JsonObject;
            selectorText = selector is null ? "" : CommonColumns.SelectorText(selector).Replace("<none>", "", StringComparison.Ordinal);
            specReplicas = Count(obj.Find("spec.replicas")) ?? 1;
            statusReplicas = obj.GetObject("status")?.GetLong("replicas") ?? 0;
        }

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
            ["spec"] = new JsonObject { ["replicas"] = specReplicas },
            ["status"] = new JsonObject
            {
                ["replicas"] = statusReplicas,
                ["selector"] = selectorText,
            },
        };
    }

    private static long? Count(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

}
