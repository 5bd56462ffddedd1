using System.Diagnostics;
using System.Globalization;

namespace Monokube.Node.Runtime;

/// <summary>
/// One run of a container as a local process, in its own session so it outlives the agent: a small sh supervisor
/// (the session leader) runs the command with its output appended to the run's log and writes the exit code to a
/// file when it ends, which lets the next agent on the same root directory adopt the process and still learn how it
/// ended. The state file (pid, start time, run number, start instant) is what adoption reads.
/// </summary>
internal sealed class ContainerProcess
{
    // $1 log, $2 exit file, then the command. The supervisor lets go of the agent's standard streams at once (a
    // reader of the agent's output must see it end when the agent does). TERM is forwarded to the command, and the
    // supervisor waits until the command has really gone before it records the exit code.
    private const string Supervisor = """
        log=$1; exitfile=$2; shift 2
        exec </dev/null >>"$log" 2>&1
        "$@" &
        child=$!
        trap 'kill -TERM $child 2>/dev/null' TERM
        while :; do wait $child; rc=$?; kill -0 $child 2>/dev/null || break; done
        echo $rc >"$exitfile"
        """;

    private ContainerProcess(string directory, int pid, long startTime, int run, DateTimeOffset startedAt)
    {
        Directory = directory;
        Pid = pid;
        StartTime = startTime;
        Run = run;
        StartedAt = startedAt;
    }

    private Process? _child;

    public string Directory { get; }

    public int Pid { get; }

    private long StartTime { get; }

    /// <summary>Which run of the container this is (its restart count when it started).</summary>
    public int Run { get; }

    public DateTimeOffset StartedAt { get; }

    public string LogFile => LogPath(Directory, Run);

    public static string LogPath(string directory, int run) => Path.Combine(directory, run.ToString(CultureInfo.InvariantCulture) + ".log");

    public bool IsAlive => _child is not { HasExited: true } && Posix.StartTime(Pid) == StartTime;

    /// <summary>The exit code the supervisor recorded, or null while it runs (or when it was killed before it could).</summary>
    public int? ExitCode
    {
        get
        {
            try
            {
                return int.TryParse(File.ReadAllText(Path.Combine(Directory, "exit")).Trim(), CultureInfo.InvariantCulture, out var code) ? code : null;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    public static ContainerProcess Start(string directory, int run, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string workingDirectory, DateTimeOffset now)
    {
        System.IO.Directory.CreateDirectory(directory);
        File.Delete(Path.Combine(directory, "exit"));
        var log = LogPath(directory, run);
        File.WriteAllBytes(log, []);
        foreach (var old in System.IO.Directory.EnumerateFiles(directory, "*.log"))
        {
            // The kubelet keeps the current run's log and the previous one (kubectl logs --previous).
            if (int.TryParse(Path.GetFileNameWithoutExtension(old), CultureInfo.InvariantCulture, out var n) && n < run - 1)
            {
                File.Delete(old);
            }
        }

        var info = new ProcessStartInfo("setsid") { WorkingDirectory = workingDirectory, UseShellExecute = false };
        foreach (var arg in (string[])["/bin/sh", "-c", Supervisor, "monokube-container", log, Path.Combine(directory, "exit")])
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var arg in command)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        // Kept (not disposed) so that .NET reaps the supervisor when it ends, as the parent must.
        var process = Process.Start(info) ?? throw new InvalidOperationException("setsid did not start");
        var startTime = Posix.StartTime(process.Id) ?? 0;
        var started = new ContainerProcess(directory, process.Id, startTime, run, now) { _child = process };
        File.WriteAllText(Path.Combine(directory, "state"), string.Create(CultureInfo.InvariantCulture, $"{process.Id} {startTime} {run} {now.ToUnixTimeMilliseconds()}\n"));
        return started;
    }

    /// <summary>The run recorded in the directory (by this agent or an earlier one), alive or not; null when none is.</summary>
    public static ContainerProcess? Adopt(string directory)
    {
        try
        {
            var parts = File.ReadAllText(Path.Combine(directory, "state")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return new ContainerProcess(
                directory,
                int.Parse(parts[0], CultureInfo.InvariantCulture),
                long.Parse(parts[1], CultureInfo.InvariantCulture),
                int.Parse(parts[2], CultureInfo.InvariantCulture),
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[3], CultureInfo.InvariantCulture)));
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or OverflowException)
        {
            return null;
        }
    }

    public void Signal(int signal)
    {
        if (IsAlive)
        {
            Posix.SignalGroup(Pid, signal);
        }
    }

    /// <summary>SIGTERM, then SIGKILL to the whole group when it has not ended within the grace period.</summary>
    public async Task StopAsync(TimeSpan grace, TimeProvider time)
    {
        Signal(Posix.SigTerm);
        var deadline = time.GetUtcNow() + grace;
        while (IsAlive && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time);
        }

        if (IsAlive)
        {
            Posix.SignalGroup(Pid, Posix.SigKill);
        }
    }
}
