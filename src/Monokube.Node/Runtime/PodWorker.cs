using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Node.Runtime;

/// <summary>
/// Keeps one pod on the process runtime, as the kubelet's pod worker does: materialises its volumes, runs its init
/// containers in order and then its containers (mapped images as processes, the rest simulated), restarts them as
/// the restart policy says with CrashLoopBackOff, probes them, reports the pod's status whenever it changes, and on
/// deletion stops the processes within the grace period and sends the final delete. When the agent stops, the
/// processes stay: the next agent on the same root directory adopts them.
/// </summary>
internal sealed partial class PodWorker
{
    private static readonly TimeSpan SyncPeriod = TimeSpan.FromSeconds(1);

    private readonly ProcessRuntimeContext _context;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly List<ContainerRun> _init;
    private readonly List<ContainerRun> _containers;
    private readonly Dictionary<string, (string Status, string Time)> _conditions = new(StringComparer.Ordinal);
    private JsonObject _pod;
    private volatile bool _removed;
    private bool _volumesReady;
    private string? _mirrorUid;
    private string? _lastStatus;
    private DateTimeOffset? _startTime;

    public PodWorker(ProcessRuntimeContext context, JsonObject pod)
    {
        _context = context;
        _pod = pod;
        Uid = pod.GetString("metadata.uid") ?? "";
        Directory = Path.Combine(context.PodsDirectory, Uid);
        HostNetwork = pod.Find("spec.hostNetwork") is JsonValue host && host.GetValue<bool>();
        IsStatic = (pod.Find("metadata.annotations") as JsonObject)?["kubernetes.io/config.source"]?.ToString() == "file";
        PodIp = HostNetwork ? context.Options.NodeIp : pod.GetString("status.podIP") ?? context.NextPodIp();
        _init = Runs(pod, "initContainers", init: true);
        _containers = Runs(pod, "containers", init: false);
    }

    public string Uid { get; }

    /// <summary>A static pod (from --pod-manifest-path): it runs whatever the API says, and reports to its mirror pod.</summary>
    public bool IsStatic { get; }

    /// <summary>The uid of a static pod's mirror pod, once it exists; status goes there.</summary>
    public string? MirrorUid
    {
        get => Volatile.Read(ref _mirrorUid);
        set
        {
            if (Interlocked.Exchange(ref _mirrorUid, value) != value)
            {
                _lastStatus = null;
                Wake();
            }
        }
    }

    /// <summary>Every container has run or is running (what --runonce waits for), or has failed to start.</summary>
    public bool Settled => _init.Concat(_containers).All(r => r.Entrypoint is null ? r.Started || r.Finished : r.Process is not null || r.Finished || r.LastTermination is not null || r.WaitingReason is not null);

    /// <summary>One line per container: what it is doing.</summary>
    public IEnumerable<string> Describe() => _init.Concat(_containers).Select(r =>
        $"{r.Name}: {(r.Running ? $"running as process {r.Process!.Pid}" : r.Finished ? $"exited {r.LastTermination?.ExitCode}" : r.WaitingReason is { } reason ? $"{reason}: {r.WaitingMessage}" : r.Entrypoint is null ? "simulated" : "waiting")}");

    public string Directory { get; }

    private bool HostNetwork { get; }

    private string PodIp { get; }

    private ILogger Logger => _context.Logger;

    private TimeProvider Time => _context.Time;

    public void Update(JsonObject pod)
    {
        Volatile.Write(ref _pod, pod);
        Wake();
    }

    /// <summary>The pod is gone from the API without this node's final delete: its processes go too.</summary>
    public void Remove()
    {
        _removed = true;
        Wake();
    }

    /// <summary>The log of a container's current (or previous) run, and whether that run is still going.</summary>
    public (string Path, bool Live)? Log(string container, bool previous)
    {
        var run = _init.Concat(_containers).FirstOrDefault(r => r.Name == container);
        if (run is null)
        {
            return null;
        }

        var number = run.Process?.Run ?? run.RestartCount;
        if (previous)
        {
            number = run.Process is null ? number - 1 : run.Process.Run - 1;
            return number < 0 ? null : (ContainerProcess.LogPath(run.Directory, number), false);
        }

        return (ContainerProcess.LogPath(run.Directory, number), run.Running);
    }

    public async Task RunAsync(CancellationToken stop)
    {
        foreach (var run in _init.Concat(_containers).Where(r => r.Entrypoint is not null))
        {
            if (ContainerProcess.Adopt(run.Directory) is { } process)
            {
                run.Adopt(process);
                if (process.IsAlive)
                {
                    StartProbes(run, process, adopted: true);
                }
            }
        }

        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (_removed)
                {
                    await StopAllAsync(TimeSpan.FromSeconds(2));
                    Clean();
                    LogRemoved(Logger, _context.NodeName, Key(Volatile.Read(ref _pod)));
                    return;
                }

                var pod = Volatile.Read(ref _pod);
                if (pod.GetString("metadata.deletionTimestamp") is not null)
                {
                    await TerminateAsync(pod, stop);
                    return;
                }

                await SyncAsync(pod, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (KubeApiException e) when (e.IsNotFound || e.IsConflict)
            {
                // Gone or replaced; the informer brings the news.
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException or UnauthorizedAccessException)
            {
                LogSyncFailed(Logger, _context.NodeName, Key(Volatile.Read(ref _pod)), e.Message);
            }

            try
            {
                await _wake.WaitAsync(SyncPeriod, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task SyncAsync(JsonObject pod, CancellationToken stop)
    {
        var now = Time.GetUtcNow();
        _startTime ??= pod.GetString("status.startTime") is { } started ? DateTimeOffset.Parse(started, System.Globalization.CultureInfo.InvariantCulture) : now;
        var policy = pod.GetString("spec.restartPolicy") ?? "Always";
        foreach (var run in _init.Concat(_containers))
        {
            if (run.Process is { } process && run.Unhealthy is not null && process.IsAlive)
            {
                LogRestarting(Logger, _context.NodeName, Key(pod), run.Name, run.Unhealthy);
                await process.StopAsync(GracePeriod(pod), Time);
            }

            if (run.Process is { } ended && !ended.IsAlive)
            {
                // Killed before the supervisor could record the code: the kernel's 128 + SIGKILL.
                run.Ended(ended.ExitCode ?? 137, Time.GetUtcNow(), policy);
            }
        }

        if (!_volumesReady)
        {
            try
            {
                await PodVolumes.MaterialiseAsync(Inputs(pod), Directory, _context.Options.HostRoot, stop);
                _volumesReady = true;
            }
            catch (ContainerConfigException e)
            {
                foreach (var run in _init.Concat(_containers))
                {
                    run.WaitingMessage = "MountVolume failed: " + e.Message;
                }
            }
        }

        var initialized = _volumesReady;
        foreach (var run in _init)
        {
            if (run.Finished)
            {
                if (run.LastTermination?.ExitCode == 0)
                {
                    continue;
                }

                initialized = false;
                break;
            }

            initialized = false;
            if (_volumesReady)
            {
                await EnsureAsync(run, pod, now, policy, stop);
            }

            break;
        }

        if (initialized)
        {
            foreach (var run in _containers)
            {
                await EnsureAsync(run, pod, now, policy, stop);
            }
        }

        await ReportAsync(pod, initialized, stop);
    }

    private async Task EnsureAsync(ContainerRun run, JsonObject pod, DateTimeOffset now, string policy, CancellationToken stop)
    {
        if (run.Entrypoint is null)
        {
            // Simulated: up after the start delay, done after the run duration when the pod does not restart.
            run.SimulatedSince ??= now + _context.Options.StartDelay;
            if (run.Finished || now < run.SimulatedSince)
            {
                return;
            }

            run.Started = true;
            run.Ready = true;
            if ((run.IsInit || policy != "Always") && now - run.SimulatedSince >= _context.Options.RunDuration)
            {
                run.SimulatedCompleted(now);
            }

            return;
        }

        if (run.Process is not null || run.Finished || now < run.NextStart)
        {
            return;
        }

        if (!HostNetwork)
        {
            run.WaitingReason = "CreateContainerError";
            run.WaitingMessage = "the process runtime runs host-network pods only (spec.hostNetwork: true)";
            return;
        }

        try
        {
            await StartAsync(run, pod, stop);
        }
        catch (ContainerConfigException e)
        {
            run.WaitingReason = "CreateContainerConfigError";
            run.WaitingMessage = e.Message;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
        {
            run.WaitingReason = "RunContainerError";
            run.WaitingMessage = e.Message;
        }
    }

    private async Task StartAsync(ContainerRun run, JsonObject pod, CancellationToken stop)
    {
        var environment = await ContainerEnvironment.BuildAsync(run.Spec, Inputs(pod), _context.Client?.Options.Server, _context.NodeName, stop);
        var rewriter = Rewriter(run);
        string Word(JsonNode? word) => rewriter.Rewrite(VariableExpansion.Expand(word?.ToString() ?? "", v => environment.GetValueOrDefault(v)));
        var command = (run.Spec["command"] as JsonArray ?? []).Select(Word).ToList();
        var args = (run.Spec["args"] as JsonArray ?? []).Select(Word).ToList();
        foreach (var name in environment.Keys.ToList())
        {
            environment[name] = rewriter.Rewrite(environment[name]);
        }

        var workingDirectory = run.Spec.GetString("workingDir") is { Length: > 0 } dir ? rewriter.Resolve(dir) : Directory;
        System.IO.Directory.CreateDirectory(workingDirectory);
        var process = ContainerProcess.Start(run.Directory, run.RestartCount, ImageMap.CommandLine(run.Entrypoint!, command, args), environment, workingDirectory, Time.GetUtcNow());
        LogStarted(Logger, _context.NodeName, Key(pod), run.Name, process.Pid);
        StartProbes(run, process, adopted: false, environment, rewriter);
    }

    private void StartProbes(ContainerRun run, ContainerProcess process, bool adopted, IReadOnlyDictionary<string, string>? environment = null, PathRewriter? rewriter = null)
    {
        var probing = new CancellationTokenSource();
        run.Began(process, probing);
        rewriter ??= Rewriter(run);
        environment ??= new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "" };
        Probe? Make(string field) => run.Spec[field] is JsonObject spec
            ? new Probe(spec, run.Spec, "127.0.0.1", words => [.. words.Select(rewriter.Rewrite)], environment)
            : null;

        if (adopted)
        {
            // A running container keeps the readiness the pod's status has, as the kubelet does after a restart.
            var status = (Volatile.Read(ref _pod).Find(run.IsInit ? "status.initContainerStatuses" : "status.containerStatuses") as JsonArray ?? [])
                .OfType<JsonObject>().FirstOrDefault(s => s.GetString("name") == run.Name);
            run.Ready = status?["ready"] is JsonValue ready && ready.GetValue<bool>();
        }

        _ = Task.Run(() => new ProbeLoop(run, Make("startupProbe"), Make("readinessProbe"), Make("livenessProbe"), adopted, Time, Wake).RunAsync(probing.Token), CancellationToken.None);
    }

    private PathRewriter Rewriter(ContainerRun run)
    {
        var volumes = PodVolumes.Directories(Volatile.Read(ref _pod), Directory, _context.Options.HostRoot);
        return new((run.Spec["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(m => volumes.ContainsKey(m.GetString("name") ?? ""))
            .Select(m => (m.GetString("mountPath") ?? "", Path.Combine(volumes[m.GetString("name")!], m.GetString("subPath") ?? ""))));
    }

    private PodInputs Inputs(JsonObject pod) => new(_context.Client, pod, _context.Options.NodeIp, PodIp);

    private async Task TerminateAsync(JsonObject pod, CancellationToken stop)
    {
        await StopAllAsync(GracePeriod(pod));
        var now = Time.GetUtcNow();
        foreach (var run in _init.Concat(_containers).Where(r => !r.Finished))
        {
            if (run.Entrypoint is null)
            {
                run.SimulatedCompleted(now);
            }
            else if (run.Process is not null)
            {
                run.Ended(run.Process.ExitCode ?? 137, now, "Never");
            }
            else
            {
                run.Finish();
            }
        }

        if (pod.GetString("status.phase") is "Running" or "Pending")
        {
            await ReportAsync(pod, initialized: true, stop);
        }

        // Nothing of the pod is left on the node when the API lets go of it.
        Clean();
        await _context.Client!.DeleteAsync(ResourceRef.Pods, pod.GetString("metadata.namespace"), pod.GetString("metadata.name")!, stop, uid: Uid, gracePeriodSeconds: 0);
        LogTerminated(Logger, _context.NodeName, Key(pod));
    }

    private static TimeSpan GracePeriod(JsonObject pod)
    {
        var seconds = pod.Find("metadata.deletionGracePeriodSeconds") ?? pod.Find("spec.terminationGracePeriodSeconds");
        return TimeSpan.FromSeconds(seconds is JsonValue v && long.TryParse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 30);
    }

    private async Task StopAllAsync(TimeSpan grace)
    {
        var running = _init.Concat(_containers).Where(r => r.Process is not null).ToList();
        foreach (var run in running)
        {
            run.StopProbing();
        }

        await Task.WhenAll(running.Select(r => r.Process!.StopAsync(grace, Time)));
    }

    private void Clean()
    {
        // A supervisor that has just ended may still be closing its files: a few tries.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static string Key(JsonObject pod) => pod.GetString("metadata.namespace") + "/" + pod.GetString("metadata.name");

    private List<ContainerRun> Runs(JsonObject pod, string field, bool init) =>
        [.. (pod.Find("spec." + field) as JsonArray ?? []).OfType<JsonObject>().Select(spec =>
            new ContainerRun(spec, init, Path.Combine(Directory, "containers", spec.GetString("name") ?? ""), _context.Images.Find(spec.GetString("image"))))];

    [LoggerMessage(EventId = 7617, Level = LogLevel.Information, Message = "node {Node}: pod {Pod}: terminated, its directory removed and the final delete sent")]
    private static partial void LogTerminated(ILogger logger, string node, string pod);

    [LoggerMessage(EventId = 7618, Level = LogLevel.Information, Message = "node {Node}: pod {Pod} is gone from the API: its processes stopped and its directory removed")]
    private static partial void LogRemoved(ILogger logger, string node, string pod);

    [LoggerMessage(EventId = 7611, Level = LogLevel.Information, Message = "node {Node}: pod {Pod}: container {Container} started as process {Pid}")]
    private static partial void LogStarted(ILogger logger, string node, string pod, string container, int pid);

    [LoggerMessage(EventId = 7612, Level = LogLevel.Information, Message = "node {Node}: pod {Pod}: container {Container} is unhealthy and is restarted: {Reason}")]
    private static partial void LogRestarting(ILogger logger, string node, string pod, string container, string reason);

    [LoggerMessage(EventId = 7613, Level = LogLevel.Warning, Message = "node {Node}: pod {Pod}: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string node, string pod, string reason);
}
