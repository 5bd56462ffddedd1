using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    /// <summary>
    /// pods/binding and the bindings resource: a scheduler assigns a pod to a node. The pod must not be bound yet;
    /// binding sets spec.nodeName and the PodScheduled condition. Answers 201 with a Status, as kube-apiserver does.
    /// </summary>
    private async Task BindAsync(HttpContext context, string ns, string podName)
    {
        var pods = api.Registry.Find("", "v1", "pods")!;
        var dryRun = IsDryRun(context);
        var (binding, _) = await RequestBody.ReadObjectAsync(context);
        if (binding.GetString("kind") is { } kind && kind != "Binding")
        {
            throw new ApiException(Statuses.BadRequest($"the body must be a Binding, not {kind}"));
        }

        var target = binding.GetString("target.name");
        if (string.IsNullOrEmpty(target))
        {
            throw new ApiException(new Status
            {
                Message = $"Binding.core \"{podName}\" is invalid: target.name: Required value",
                Reason = "Invalid",
                Details = new StatusDetails { Name = podName, Kind = "Binding", Causes = [new StatusCause("FieldValueRequired", "Required value", "target.name")] },
                Code = 422,
            });
        }

        if (binding.GetString("metadata.name") is { } named && named != podName)
        {
            throw new ApiException(Statuses.BadRequest($"the name of the binding ({named}) does not match the name of the pod ({podName})"));
        }

        var uid = binding.GetString("metadata.uid");
        while (true)
        {
            var current = await ReadAsync(pods, ns, podName, context.RequestAborted) ?? throw new ApiException(Statuses.NotFound(pods, podName));
            var pod = Decode(pods, current);
            var meta = new ObjectMeta(pod);
            if (uid is not null && uid != meta.Uid)
            {
                throw new ApiException(Statuses.Conflict(pods, podName, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {meta.Uid}"));
            }

            if (meta.DeletionTimestamp is not null)
            {
                throw new ApiException(Statuses.Conflict(pods, podName, "pod is being deleted, cannot be assigned to a host"));
            }

            if (pod.GetString("spec.nodeName") is { Length: > 0 } assigned)
            {
                throw new ApiException(Statuses.Conflict(pods, podName, $"pod {podName} is already assigned to node \"{assigned}\""));
            }

            pod.GetOrAddObject("spec")["nodeName"] = target;
            if (binding.Find("metadata.annotations") is JsonObject annotations)
            {
                var podAnnotations = meta.Metadata.GetOrAddObject("annotations");
                foreach (var (key, value) in annotations)
                {
                    podAnnotations[key] = value?.DeepClone();
                }
            }

            SetCondition(pod, "PodScheduled", "True", api.Time.GetUtcNow());
            meta.ResourceVersion = null;
            if (!dryRun)
            {
                var result = await api.Store.UpdateAsync(current.Key, ToStorage(pods, pod), new Preconditions(current.ModRevision), context.RequestAborted);
                if (result.Status is StoreStatus.Conflict)
                {
                    continue;
                }

                if (!result.IsOk)
                {
                    throw new ApiException(Statuses.NotFound(pods, podName));
                }
            }

            context.Response.StatusCode = StatusCodes.Status201Created;
            await StatusWriter.WriteAsync(context, new Status { Outcome = "Success", Code = 201 });
            return;
        }
    }

    /// <summary>Sets a status condition (type, status, lastTransitionTime when the status changes).</summary>
    internal static void SetCondition(JsonObject obj, string type, string status, DateTimeOffset now, string? reason = null, string? message = null)
    {
        var conditions = obj.GetOrAddObject("status")["conditions"] as JsonArray;
        if (conditions is null)
        {
            conditions = [];
            obj.GetOrAddObject("status")["conditions"] = conditions;
        }

        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == type);
        if (existing is null)
        {
            existing = new JsonObject { ["type"] = type };
            conditions.Add((JsonNode)existing);
        }

        if (existing.GetString("status") != status)
        {
            existing["lastTransitionTime"] = KubeTime.Format(now);
        }

        existing["status"] = status;
        existing.SetOrRemove("reason", reason is null ? null : JsonValue.Create(reason));
        existing.SetOrRemove("message", message is null ? null : JsonValue.Create(message));
    }
}
