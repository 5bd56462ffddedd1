using System.Globalization;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers.Workloads;

/// <summary>What the workload controllers read from a pod: active, ready, available, and kube's deletion ranking.</summary>
public static class PodConditions
{
    /// <summary>Neither finished nor being deleted (kube's IsPodActive).</summary>
    public static bool IsActive(JsonObject pod) =>
        pod.GetString("status.phase") is not ("Succeeded" or "Failed") && !Owners.IsBeingDeleted(pod);

    public static bool IsReady(JsonObject pod) => Condition(pod, "Ready")?.GetString("status") == "True";

    /// <summary>Ready for at least minReadySeconds.</summary>
    public static bool IsAvailable(JsonObject pod, long minReadySeconds, DateTimeOffset now)
    {
        var ready = Condition(pod, "Ready");
        if (ready?.GetString("status") != "True")
        {
            return false;
        }

        if (minReadySeconds == 0)
        {
            return true;
        }

        return ready.GetString("lastTransitionTime") is { } since
            && DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            && t.AddSeconds(minReadySeconds) <= now;
    }

    public static JsonObject? Condition(JsonObject pod, string type) => Conditions.Find(pod, type);

    /// <summary>
    /// Orders pods for scale-down as kube's ActivePods ranking: unassigned before assigned, pending before unknown
    /// before running, not ready before ready, more recently ready first, more restarts first, newer first.
    /// </summary>
    public static int CompareForDeletion(JsonObject a, JsonObject b)
    {
        int Key(bool value) => value ? 0 : 1;
        var byNode = Key(string.IsNullOrEmpty(a.GetString("spec.nodeName"))).CompareTo(Key(string.IsNullOrEmpty(b.GetString("spec.nodeName"))));
        if (byNode != 0)
        {
            return byNode;
        }

        static int Phase(JsonObject p) => p.GetString("status.phase") switch { "Pending" => 0, "Unknown" => 1, "Running" => 2, _ => 3 };
        var byPhase = Phase(a).CompareTo(Phase(b));
        if (byPhase != 0)
        {
            return byPhase;
        }

        var byReady = IsReady(a).CompareTo(IsReady(b));
        if (byReady != 0)
        {
            return byReady;
        }

        var readySince = string.CompareOrdinal(Condition(b, "Ready")?.GetString("lastTransitionTime"), Condition(a, "Ready")?.GetString("lastTransitionTime"));
        if (IsReady(a) && readySince != 0)
        {
            return readySince;
        }

        var byRestarts = Restarts(b).CompareTo(Restarts(a));
        if (byRestarts != 0)
        {
            return byRestarts;
        }

        return string.CompareOrdinal(b.GetString("metadata.creationTimestamp"), a.GetString("metadata.creationTimestamp"));
    }

    private static long Restarts(JsonObject pod) =>
        (pod.Find("status.containerStatuses") as JsonArray)?.OfType<JsonObject>().Sum(c => c.GetLong("restartCount") ?? 0) ?? 0;
}
