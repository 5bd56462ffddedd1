using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Monokube.TestSupport;

/// <summary>
/// The monokube program started as its own process, as users run it: the native binary when $MONOKUBE_BIN names
/// one (CI sets it to the published binary), otherwise the build of src/Monokube next to the tests, run by dotnet.
/// </summary>
public sealed partial class MonokubeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MonokubeProcess(Process process)
    {
        _process = process;
    }

    public string Url => _url.Task.IsCompletedSuccessfully ? _url.Task.Result : throw new InvalidOperationException("the server has not reported its URL");

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Runs monokube to completion and returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        await using var process = Launch(args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process._process.WaitForExitAsync(timeout.Token);
        process._process.WaitForExit();
        return (process._process.ExitCode, process.Output);
    }

    /// <summary>Starts "monokube serve" with the given flags and waits until it prints the URL it serves on.</summary>
    public static async Task<MonokubeProcess> ServeAsync(params string[] flags)
    {
        var process = Launch(["serve", .. flags]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process._url.Task.WaitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            var output = process.Output;
            await process.DisposeAsync();
            throw new InvalidOperationException($"monokube serve did not start: {e.Message}\n{output}", e);
        }

        return process;
    }

    /// <summary>Waits for the process to end by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            Signal(_process.Id, 15);
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(cts.Token);
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
    }

    /// <summary>Starts monokube with the given arguments without waiting for anything.</summary>
    public static MonokubeProcess Launch(params string[] args)
    {
        var start = CreateStartInfo();
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new MonokubeProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start monokube"));
        process._process.OutputDataReceived += (_, e) => process.OnLine(e.Data);
        process._process.ErrorDataReceived += (_, e) => process.OnLine(e.Data);
        process._process.EnableRaisingEvents = true;
        process._process.Exited += (_, _) => process._url.TrySetException(new InvalidOperationException("monokube exited"));
        process._process.BeginOutputReadLine();
        process._process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The words that run monokube (the native binary, or dotnet and the dll), for an image map.</summary>
    public static IReadOnlyList<string> CommandWords()
    {
        var start = CreateStartInfo();
        return [start.FileName == "dotnet" ? DotnetPath() : start.FileName, .. start.ArgumentList];
    }

    private static string DotnetPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists) ?? "dotnet";

    private static ProcessStartInfo CreateStartInfo()
    {
        var native = Environment.GetEnvironmentVariable("MONOKUBE_BIN");
        ProcessStartInfo start;
        if (native is { Length: > 0 })
        {
            start = new ProcessStartInfo(native);
        }
        else
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "monokube.dll");
            if (!File.Exists(dll))
            {
                throw new InvalidOperationException($"monokube.dll is not next to the tests ({dll}); reference src/Monokube or set MONOKUBE_BIN");
            }

            start = new ProcessStartInfo("dotnet");
            start.ArgumentList.Add(dll);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        return start;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        var match = ServingLine().Match(line);
        if (match.Success)
        {
            _url.TrySetResult(match.Groups[1].Value);
        }
    }

    [GeneratedRegex(@"serving the Kubernetes API on (\S+)")]
    private static partial Regex ServingLine();

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Signal(int pid, int signal);
}
