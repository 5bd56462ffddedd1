using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Admission;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Security;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

public sealed partial class ResourceHandler
{
    /// <summary>
    /// pods/eviction (policy/v1 Eviction): deletes the pod unless a PodDisruptionBudget that selects it allows no
    /// disruption now (429, as kube-apiserver answers; a budget the disruption controller has not processed yet
    /// allows none either). Pods that are not running can always be evicted.
    /// </summary>
    private async Task EvictAsync(HttpContext context, string ns, string podName)
    {
        var pods = api.Registry.Find("", "v1", "pods")!;
        var (eviction, _) = await RequestBody.ReadObjectAsync(context);
        if (eviction.GetString("kind") is { } kind && kind != "Eviction")
        {
            throw new ApiException(Statuses.BadRequest($"the body must be an Eviction, not {kind}"));
        }

        await api.Admission.ValidateAsync(new AdmissionRequest(RequestUser.Get(context), pods, "eviction", AdmissionOperation.Create, ns, podName, eviction, null), context.RequestAborted);

        var stored = await ReadAsync(pods, ns, podName, context.RequestAborted) ?? throw new ApiException(Statuses.NotFound(pods, podName));
        var pod = Decode(pods, stored);
        var phase = pod.GetString("status.phase");
        if (phase is not ("Succeeded" or "Failed" or "Pending") && new ObjectMeta(pod).DeletionTimestamp is null)
        {
            var budgets = api.Registry.Find("policy", "v1", "poddisruptionbudgets")!;
            var list = await api.Store.ListAsync(new ListRequest(budgets.CollectionPrefix(ns)), context.RequestAborted);
            foreach (var item in list.Items)
            {
                var budget = ObjectWriter.Parse(item.Value);
                if (!LabelSelector.FromObject(budget.Find("spec.selector") as JsonObject).Matches(new ObjectMeta(pod).Labels) || budget.Find("spec.selector") is null)
                {
                    continue;
                }

                var processed = (budget.GetObject("status")?.GetLong("observedGeneration") ?? 0) >= new ObjectMeta(budget).Generation;
                var allowed = budget.GetObject("status")?.GetLong("disruptionsAllowed") ?? 0;
                if (!processed || allowed <= 0)
                {
                    var reason = processed
                        ? $"Cannot evict pod as it would violate the pod's disruption budget."
                        : "Cannot evict pod as it would violate the pod's disruption budget: the disruption budget " + new ObjectMeta(budget).Name + " is still being processed by the server.";
                    throw new ApiException(new Status
                    {
                        Message = reason,
                        Reason = "TooManyRequests",
                        Details = new StatusDetails { Causes = [new StatusCause("DisruptionBudget", $"The disruption budget {new ObjectMeta(budget).Name} needs {budget.Find("spec.minAvailable")?.ToString() ?? "more"} healthy pods and has fewer", null)] },
                        Code = 429,
                    });
                }
            }
        }

        var grace = eviction.Find("deleteOptions.gracePeriodSeconds") is JsonValue g && g.TryGetValue<long>(out var seconds) ? seconds : (long?)null;
        var uid = eviction.GetString("deleteOptions.preconditions.uid");
        await DeleteObjectAsync(context, pods, ns, podName, new DeleteOptions(grace, null, uid, null, IsDryRun(context)));
        context.Response.StatusCode = StatusCodes.Status201Created;
        await StatusWriter.WriteAsync(context, new Status { Outcome = "Success", Code = 201 });
    }
}
