using System.Diagnostics;
using System.Text;

namespace Monokube.TestSupport;

/// <summary>
/// A real etcd member for one test fixture: 127.0.0.1 only, free ports, a fresh data directory (on tmpfs when the
/// machine has one), stopped and deleted on dispose. Can be killed and restarted on the same ports and data.
/// </summary>
public sealed class EtcdProcess : IAsyncDisposable
{
    private readonly string _dataDir;
    private readonly int _peerPort;
    private readonly EtcdTls? _tls;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private EtcdProcess(string dataDir, int clientPort, int peerPort, EtcdTls? tls)
    {
        _dataDir = dataDir;
        ClientPort = clientPort;
        _peerPort = peerPort;
        _tls = tls;
    }

    public int ClientPort { get; }

    public string ClientUrl => $"{(_tls is null ? "http" : "https")}://127.0.0.1:{ClientPort}";

    public string DataDir => _dataDir;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Finds the etcd binary (PATH, or $ETCD_BIN); tests that need it fail with this message when it is missing.</summary>
    public static string Binary => Environment.GetEnvironmentVariable("ETCD_BIN") is { Length: > 0 } bin ? bin
        : FindOnPath("etcd") ?? throw new InvalidOperationException("etcd is not installed: apt-get install -y etcd-server etcd-client (or set ETCD_BIN)");

    public static async Task<EtcdProcess> StartAsync(EtcdTls? tls = null)
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var dataDir = Path.Combine(root, "monokube-etcd-" + Guid.NewGuid().ToString("N")[..12]);
        var etcd = new EtcdProcess(dataDir, FreePort.Next(), FreePort.Next(), tls);
        await etcd.LaunchAsync();
        return etcd;
    }

    /// <summary>SIGKILL, as a crash or an OOM kill would end it.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>SIGSTOP: etcd keeps its connections but answers nothing, as a hung or overloaded member would.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        await kill.WaitForExitAsync();
    }

    /// <summary>Starts etcd again on the same ports and data directory.</summary>
    public Task RestartAsync() => LaunchAsync();

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private async Task LaunchAsync()
    {
        var peerUrl = $"http://127.0.0.1:{_peerPort}";
        var args = new List<string>
        {
            "--name", "test",
            "--data-dir", _dataDir,
            "--listen-client-urls", ClientUrl,
            "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", peerUrl,
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", "test=" + peerUrl,
            "--logger", "zap",
            "--log-level", "warn",
        };
        if (_tls is not null)
        {
            args.AddRange(["--cert-file", _tls.ServerCertFile, "--key-file", _tls.ServerKeyFile, "--trusted-ca-file", _tls.CaFile, "--client-cert-auth"]);
        }

        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process?.Dispose();
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start etcd");
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        var process = _process;
        await Eventually.WaitAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"etcd exited with code {process.ExitCode}:\n{Log}");
                }

                return await IsHealthyAsync();
            },
            TimeSpan.FromSeconds(30),
            "etcd to become healthy");
    }

    private async Task<bool> IsHealthyAsync()
    {
        try
        {
            using var client = new TcpProbe();
            return await client.CanConnectAsync(ClientPort) && await EtcdctlAsync("endpoint", "health") is { ExitCode: 0 };
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Runs etcdctl (v3 API) against this member.</summary>
    public async Task<(int ExitCode, string Output)> EtcdctlAsync(params string[] args)
    {
        var start = new ProcessStartInfo(FindOnPath("etcdctl") ?? throw new InvalidOperationException("etcdctl is not installed: apt-get install -y etcd-client"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["ETCDCTL_API"] = "3";
        start.ArgumentList.Add("--endpoints=" + ClientUrl);
        start.ArgumentList.Add("--command-timeout=5s");
        if (_tls is not null)
        {
            start.ArgumentList.Add("--cacert=" + _tls.CaFile);
            start.ArgumentList.Add("--cert=" + _tls.ClientCertFile);
            start.ArgumentList.Add("--key=" + _tls.ClientKeyFile);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
