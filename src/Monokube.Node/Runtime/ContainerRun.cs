using System.Globalization;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Node.Runtime;

/// <summary>
/// One container of a pod on the process runtime, across its runs: the current process (started or adopted), the
/// last termination, the restart count and CrashLoopBackOff delay, and its probes' results. Containers whose image
/// is not in the image map are simulated, as on the fake runtime.
/// </summary>
internal sealed class ContainerRun(JsonObject spec, bool init, string directory, IReadOnlyList<string>? entrypoint)
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private CancellationTokenSource? _probing;
    private TimeSpan _backoff;

    public JsonObject Spec => spec;

    public string Name => spec.GetString("name") ?? "";

    public bool IsInit => init;

    public string Directory => directory;

    /// <summary>The command that stands for the image's entrypoint; null for a simulated container.</summary>
    public IReadOnlyList<string>? Entrypoint => entrypoint;

    public ContainerProcess? Process { get; private set; }

    public int RestartCount { get; private set; }

    public DateTimeOffset? SimulatedSince { get; set; }

    public (int ExitCode, string Reason, DateTimeOffset StartedAt, DateTimeOffset FinishedAt)? LastTermination { get; private set; }

    /// <summary>Ended for good (restart policy says no more runs).</summary>
    public bool Finished { get; private set; }

    public DateTimeOffset NextStart { get; private set; }

    public string? WaitingReason { get; set; }

    public string? WaitingMessage { get; set; }

    public bool Ready { get; set; }

    public bool Started { get; set; }

    /// <summary>Set by the liveness probe: the current run is to be killed and restarted.</summary>
    public string? Unhealthy { get; set; }

    public bool Running => Process?.IsAlive == true;

    public void Adopt(ContainerProcess process)
    {
        Process = process;
        RestartCount = process.Run;
    }

    public void Began(ContainerProcess process, CancellationTokenSource probing)
    {
        Process = process;
        _probing = probing;
        WaitingReason = null;
        WaitingMessage = null;
        Unhealthy = null;
        Ready = false;
        Started = false;
    }

    public void StopProbing()
    {
        _probing?.Cancel();
        _probing?.Dispose();
        _probing = null;
    }

    /// <summary>Records that the current run has ended and decides, by the restart policy, whether there is another.</summary>
    public void Ended(int exitCode, DateTimeOffset now, string restartPolicy)
    {
        StopProbing();
        var startedAt = Process?.StartedAt ?? now;
        LastTermination = (exitCode, exitCode == 0 ? "Completed" : "Error", startedAt, now);
        Process = null;
        Ready = false;
        Started = false;
        var restart = init ? exitCode != 0 && restartPolicy != "Never" : restartPolicy == "Always" || (restartPolicy == "OnFailure" && exitCode != 0);
        if (!restart)
        {
            Finished = true;
            return;
        }

        // The first restart is immediate, then 10 s doubling to 5 min; a run of 10 min forgives the past.
        _backoff = now - startedAt >= TimeSpan.FromMinutes(10) ? TimeSpan.Zero : _backoff;
        NextStart = now + _backoff;
        _backoff = _backoff == TimeSpan.Zero ? InitialBackoff : TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
        RestartCount++;
    }

    /// <summary>No more runs (the pod is being deleted).</summary>
    public void Finish() => Finished = true;

    /// <summary>A simulated container of a pod that does not restart has run its course.</summary>
    public void SimulatedCompleted(DateTimeOffset now)
    {
        LastTermination = (0, "Completed", SimulatedSince ?? now, now);
        Finished = true;
        Ready = false;
    }

    public string ContainerId => Process is { } p ? string.Create(CultureInfo.InvariantCulture, $"process://{p.Pid}") : "";

    public JsonObject Status(JsonObject pod, DateTimeOffset now)
    {
        var image = spec.GetString("image") ?? "";
        JsonObject state;
        if (entrypoint is null)
        {
            state = Finished && LastTermination is { } done
                ? Terminated(done)
                : SimulatedSince is { } since ? new JsonObject { ["running"] = new JsonObject { ["startedAt"] = KubeTime.Format(since) } } : Waiting("ContainerCreating", null);
        }
        else if (Process is { } process)
        {
            state = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = KubeTime.Format(process.StartedAt) } };
        }
        else if (Finished && LastTermination is { } last)
        {
            state = Terminated(last);
        }
        else if (LastTermination is not null && WaitingReason is null)
        {
            state = Waiting("CrashLoopBackOff", $"back-off {Seconds(NextStart - LastTermination.Value.FinishedAt)} restarting failed container={Name} pod={pod.GetString("metadata.name")}_{pod.GetString("metadata.namespace")}({pod.GetString("metadata.uid")})");
        }
        else
        {
            state = Waiting(WaitingReason ?? (init ? "PodInitializing" : "ContainerCreating"), WaitingMessage);
        }

        var status = new JsonObject
        {
            ["name"] = Name,
            ["image"] = image,
            ["imageID"] = (entrypoint is null ? "fake://" : "process://") + image,
            ["ready"] = Ready,
            ["started"] = Started,
            ["restartCount"] = RestartCount,
            ["state"] = state,
        };
        if (LastTermination is { } previous && !Finished)
        {
            status["lastState"] = Terminated(previous);
        }

        if (Process is not null)
        {
            status["containerID"] = ContainerId;
        }

        return status;
    }

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)Math.Round(span.TotalSeconds))}s");

    private static JsonObject Waiting(string reason, string? message)
    {
        var waiting = new JsonObject { ["reason"] = reason };
        if (message is not null)
        {
            waiting["message"] = message;
        }

        return new JsonObject { ["waiting"] = waiting };
    }

    private static JsonObject Terminated((int ExitCode, string Reason, DateTimeOffset StartedAt, DateTimeOffset FinishedAt) t) => new()
    {
        ["terminated"] = new JsonObject
        {
            ["exitCode"] = t.ExitCode,
            ["reason"] = t.Reason,
            ["startedAt"] = KubeTime.Format(t.StartedAt),
            ["finishedAt"] = KubeTime.Format(t.FinishedAt),
        },
    };
}
