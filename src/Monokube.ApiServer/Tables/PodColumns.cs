using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Tables;

/// <summary>The pod table of `kubectl get pods`, with kubectl's rules for the STATUS and RESTARTS cells.</summary>
public static class PodColumns
{
    public static IReadOnlyList<TableColumn> All { get; } =
    [
        CommonColumns.Name,
        TableColumn.Text("Ready", Ready, 0, "The aggregate readiness state of this pod for accepting traffic."),
        TableColumn.Text("Status", o => Status(o).Reason, 0, "The aggregate status of the containers in this pod."),
        new("Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0, Restarts),
        CommonColumns.Age,
        TableColumn.Text("IP", o => NoneIfEmpty(o.GetString("status.podIP")), 1, "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
        TableColumn.Text("Node", o => NoneIfEmpty(o.GetString("spec.nodeName")), 1, "NodeName is a request to schedule this pod onto a specific node."),
        TableColumn.Text("Nominated Node", o => NoneIfEmpty(o.GetString("status.nominatedNodeName")), 1, "nominatedNodeName is set only when this pod preempts other pods on the node."),
        TableColumn.Text("Readiness Gates", ReadinessGates, 1, "If specified, all readiness gates will be evaluated for pod readiness."),
    ];

    private static string Ready(JsonObject pod)
    {
        var total = (pod.Find("spec.containers") as JsonArray)?.Count ?? 0;
        var ready = Statuses(pod, "containerStatuses").Count(s => s.GetBool("ready") && s.Find("state.running") is not null);
        return $"{ready}/{total}";
    }

    private static JsonNode? Restarts(JsonObject pod, DateTimeOffset now)
    {
        var (_, restarts, lastRestart) = Status(pod);
        return lastRestart is { } when
            ? JsonValue.Create($"{restarts} ({HumanDuration.Format(now - when)} ago)")
            : JsonValue.Create(restarts);
    }

    /// <summary>kubectl's printPod: the reason shown in STATUS, the restart count and the time of the last restart.</summary>
    public static (string Reason, long Restarts, DateTimeOffset? LastRestart) Status(JsonObject pod)
    {
        long restarts = 0;
        DateTimeOffset? lastRestart = null;
        var reason = pod.GetString("status.phase") ?? "";
        if (pod.GetString("status.reason") is { Length: > 0 } podReason)
        {
            reason = podReason;
        }

        var initSpecs = (pod.Find("spec.initContainers") as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var initializing = false;
        var initStatuses = Statuses(pod, "initContainerStatuses").ToList();
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var s = initStatuses[i];
            restarts += CommonColumns.Int(s, "restartCount");
            Track(s, ref lastRestart);
            var terminated = s.Find("state.terminated") as JsonObject;
            if (terminated is not null && CommonColumns.Int(terminated, "exitCode") == 0)
            {
                continue;
            }

            var sidecar = i < initSpecs.Count && initSpecs[i].GetString("restartPolicy") == "Always";
            if (sidecar && s.GetBool("started"))
            {
                continue;
            }

            var waitingReason = s.GetString("state.waiting.reason");
            if (terminated is not null)
            {
                reason = terminated.GetString("reason") is { Length: > 0 } r ? "Init:" + r
                    : CommonColumns.Int(terminated, "signal") != 0 ? $"Init:Signal:{CommonColumns.Int(terminated, "signal")}"
                    : $"Init:ExitCode:{CommonColumns.Int(terminated, "exitCode")}";
            }
            else if (waitingReason is { Length: > 0 } && waitingReason != "PodInitializing")
            {
                reason = "Init:" + waitingReason;
            }
            else
            {
                reason = $"Init:{i}/{initSpecs.Count}";
            }

            initializing = true;
            break;
        }

        if (!initializing)
        {
            restarts = 0;
            var hasRunning = false;
            foreach (var s in Statuses(pod, "containerStatuses").Reverse())
            {
                restarts += CommonColumns.Int(s, "restartCount");
                Track(s, ref lastRestart);
                var terminated = s.Find("state.terminated") as JsonObject;
                if (s.GetString("state.waiting.reason") is { Length: > 0 } waiting)
                {
                    reason = waiting;
                }
                else if (terminated?.GetString("reason") is { Length: > 0 } terminatedReason)
                {
                    reason = terminatedReason;
                }
                else if (terminated is not null)
                {
                    reason = CommonColumns.Int(terminated, "signal") != 0 ? $"Signal:{CommonColumns.Int(terminated, "signal")}" : $"ExitCode:{CommonColumns.Int(terminated, "exitCode")}";
                }
                else if (s.GetBool("ready") && s.Find("state.running") is not null)
                {
                    hasRunning = true;
                }
            }

            if (reason == "Completed" && hasRunning)
            {
                reason = HasReadyCondition(pod) ? "Running" : "NotReady";
            }
        }

        if (new ObjectMeta(pod).DeletionTimestamp is not null)
        {
            reason = pod.GetString("status.reason") == "NodeLost" ? "Unknown" : "Terminating";
        }

        return (reason, restarts, lastRestart);
    }

    private static IEnumerable<JsonObject> Statuses(JsonObject pod, string list) =>
        (pod.Find("status." + list) as JsonArray)?.OfType<JsonObject>() ?? [];

    private static void Track(JsonObject status, ref DateTimeOffset? last)
    {
        if (status.GetString("lastState.terminated.finishedAt") is { } finished && KubeTime.TryParse(finished, out var when) && (last is null || when > last))
        {
            last = when;
        }
    }

    private static bool HasReadyCondition(JsonObject pod) =>
        (pod.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().Any(c => c.GetString("type") == "Ready" && c.GetString("status") == "True") == true;

    private static string ReadinessGates(JsonObject pod)
    {
        if (pod.Find("spec.readinessGates") is not JsonArray { Count: > 0 } gates)
        {
            return "<none>";
        }

        var conditions = (pod.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var ready = gates.OfType<JsonObject>().Count(g => conditions.Any(c => c.GetString("type") == g.GetString("conditionType") && c.GetString("status") == "True"));
        return $"{ready}/{gates.Count}";
    }

    private static string NoneIfEmpty(string? value) => string.IsNullOrEmpty(value) ? "<none>" : value;
}
