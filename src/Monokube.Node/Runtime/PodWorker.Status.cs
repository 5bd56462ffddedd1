using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Node.Runtime;

internal sealed partial class PodWorker
{
    // The pod's phase, conditions and container statuses from the runs; patched (status subresource, merge patch,
    // the pod's uid as precondition) only when something changed.
    private async Task ReportAsync(JsonObject pod, bool initialized, CancellationToken stop)
    {
        var now = Time.GetUtcNow();
        var policy = pod.GetString("spec.restartPolicy") ?? "Always";
        var initFailed = _init.Any(r => r.Finished && r.LastTermination?.ExitCode != 0);
        var phase = initFailed && policy == "Never" ? "Failed"
            : !initialized ? "Pending"
            : _containers.All(r => r.Finished) ? (_containers.All(r => r.LastTermination?.ExitCode == 0) ? "Succeeded" : "Failed")
            : _containers.Any(r => r.Running || r.LastTermination is not null || (r.Entrypoint is null && r.Started)) ? "Running"
            : "Pending";
        var done = phase is "Succeeded" or "Failed";
        var unready = _containers.Where(r => !r.Ready).Select(r => r.Name).ToList();
        var uninitialized = _init.Where(r => !(r.Finished && r.LastTermination?.ExitCode == 0)).Select(r => r.Name).ToList();
        var body = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = new JsonArray(
                (JsonNode)Condition("PodReadyToStartContainers", _volumesReady && !done, now),
                Condition("Initialized", initialized, now, done ? "PodCompleted" : initialized ? null : "ContainersNotInitialized", initialized ? null : $"containers with incomplete status: [{string.Join(" ", uninitialized)}]"),
                Condition("Ready", initialized && unready.Count == 0 && !done, now, done ? "PodCompleted" : unready.Count > 0 ? "ContainersNotReady" : null, unready.Count > 0 && !done ? $"containers with unready status: [{string.Join(" ", unready)}]" : null),
                Condition("ContainersReady", initialized && unready.Count == 0 && !done, now, done ? "PodCompleted" : unready.Count > 0 ? "ContainersNotReady" : null, unready.Count > 0 && !done ? $"containers with unready status: [{string.Join(" ", unready)}]" : null),
                Condition("PodScheduled", true, now)),
            ["hostIP"] = _context.Options.NodeIp,
            ["hostIPs"] = new JsonArray((JsonNode)new JsonObject { ["ip"] = _context.Options.NodeIp }),
            ["podIP"] = PodIp,
            ["podIPs"] = new JsonArray((JsonNode)new JsonObject { ["ip"] = PodIp }),
            ["startTime"] = KubeTime.Format(_startTime ?? now),
            ["containerStatuses"] = new JsonArray([.. _containers.Select(r => (JsonNode)r.Status(pod, now))]),
            ["qosClass"] = pod.GetString("status.qosClass") ?? "BestEffort",
        };
        if (_init.Count > 0)
        {
            body["initContainerStatuses"] = new JsonArray([.. _init.Select(r => (JsonNode)r.Status(pod, now))]);
        }

        var text = body.ToJsonString();
        var target = IsStatic ? MirrorUid : Uid;
        if (text == _lastStatus || target is null || _context.Client is null)
        {
            return;
        }

        await _context.Client.PatchAsync(ResourceRef.Pods, pod.GetString("metadata.namespace"), pod.GetString("metadata.name")!, "application/merge-patch+json", new JsonObject
        {
            ["metadata"] = new JsonObject { ["uid"] = target },
            ["status"] = body,
        }, stop, subresource: "status");
        _lastStatus = text;
    }

    // A condition whose lastTransitionTime moves only when its status does.
    private JsonObject Condition(string type, bool status, DateTimeOffset now, string? reason = null, string? message = null)
    {
        var value = status ? "True" : "False";
        if (!_conditions.TryGetValue(type, out var known) || known.Status != value)
        {
            known = (value, KubeTime.Format(now));
            _conditions[type] = known;
        }

        var condition = new JsonObject { ["type"] = type, ["status"] = value, ["lastProbeTime"] = null, ["lastTransitionTime"] = known.Time };
        if (reason is not null)
        {
            condition["reason"] = reason;
        }

        if (message is not null)
        {
            condition["message"] = message;
        }

        return condition;
    }
}
