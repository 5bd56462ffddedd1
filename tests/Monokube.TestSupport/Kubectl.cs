using System.Diagnostics;

namespace Monokube.TestSupport;

/// <summary>The real kubectl binaries on the machine: the one on PATH and kubectl.1.NN from the Google Cloud SDK.</summary>
public static class Kubectl
{
    /// <summary>The path of kubectl 1.<paramref name="minor"/>, or of the kubectl on PATH for null.</summary>
    public static string Find(int? minor = null)
    {
        if (minor is null)
        {
            return FindOnPath("kubectl") ?? throw new InvalidOperationException("kubectl is not on PATH");
        }

        var name = $"kubectl.1.{minor}";
        var gcloud = FindOnPath("gcloud");
        var candidates = new List<string>();
        if (gcloud is not null)
        {
            var resolved = new FileInfo(gcloud).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? gcloud;
            candidates.Add(Path.Combine(Path.GetDirectoryName(resolved)!, name));
        }

        if (FindOnPath(name) is { } onPath)
        {
            candidates.Add(onPath);
        }

        return candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException($"{name} is not installed (looked next to gcloud and on PATH)");
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string kubectl, string kubeconfig, params string[] args)
    {
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.Environment["KUBECONFIG"] = kubeconfig;
        // kubectl caches discovery under $HOME/.kube/cache by host:port; a per-kubeconfig home keeps a later server on
        // a reused port from seeing another server's cached discovery.
        start.Environment["HOME"] = Path.GetDirectoryName(Path.GetFullPath(kubeconfig))!;
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running kubectl (get -w, wait) against a kubeconfig.</summary>
    public static BackgroundProcess Start(string kubectl, string kubeconfig, params string[] args) =>
        BackgroundProcess.Start(kubectl, args, new Dictionary<string, string>
        {
            ["KUBECONFIG"] = kubeconfig,
            ["HOME"] = Path.GetDirectoryName(Path.GetFullPath(kubeconfig))!,
        });

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
