using System.Diagnostics;
using System.Text;

namespace Monokube.TestSupport;

/// <summary>A long-running command (kubectl get -w, kubectl wait) whose output a test waits on.</summary>
public sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _changed = new(0);

    private BackgroundProcess(Process process)
    {
        _process = process;
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static BackgroundProcess Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var background = new BackgroundProcess(Process.Start(start)!);
        background._process.OutputDataReceived += (_, e) => background.Append(background._stdout, e.Data);
        background._process.ErrorDataReceived += (_, e) => background.Append(background._stderr, e.Data);
        background._process.BeginOutputReadLine();
        background._process.BeginErrorReadLine();
        return background;
    }

    /// <summary>Waits until stdout satisfies <paramref name="condition"/>; fails with the output so far when it does not in time.</summary>
    public async Task WaitForOutputAsync(Func<string, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Stdout))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || (_process.HasExited && !condition(Stdout)))
            {
                throw new TimeoutException($"timed out waiting for {what}; stdout:\n{Stdout}\nstderr:\n{Stderr}");
            }

            await _changed.WaitAsync(left < TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500));
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _changed.Dispose();
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (target)
        {
            target.AppendLine(line);
        }

        _changed.Release();
    }
}
