using System.Diagnostics;

namespace Monokube.TestSupport;

/// <summary>
/// The real Kubernetes v1.26.1 binaries (kube-apiserver, kube-controller-manager, kube-scheduler, e2e.test) that
/// tests compare monokube with: the folder $MONOKUBE_KUBE_BIN_DIR names, else the one ../shared/k8s/install (beside
/// the checkout) unpacks and prints. Tests that need them skip with <see cref="Missing"/> when neither exists, and
/// fail instead when $MONOKUBE_REQUIRE_REAL_KUBE is set (CI sets it when ../shared/k8s is there, so that a
/// comparison can never silently not run).
/// </summary>
public static class KubernetesBinaries
{
    public const string Version = "v1.26.1";

    private static readonly Lazy<string?> Located = new(Locate);

    /// <summary>The folder holding the binaries, or null.</summary>
    public static string? Folder => Located.Value;

    public static string Missing =>
        $"the real Kubernetes {Version} binaries are not here: run ../shared/k8s/install beside the checkout, or set MONOKUBE_KUBE_BIN_DIR to a folder holding kube-apiserver, kube-controller-manager, kube-scheduler and e2e.test";

    public static string ApiServer => Path.Combine(Require(), "kube-apiserver");

    public static string ControllerManager => Path.Combine(Require(), "kube-controller-manager");

    public static string Scheduler => Path.Combine(Require(), "kube-scheduler");

    public static string E2eTest => Path.Combine(Require(), "e2e.test");

    /// <summary>Skips the calling test (or fails it, where the binaries are required) when they are not here.</summary>
    public static void SkipUnlessPresent()
    {
        if (Folder is not null)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("MONOKUBE_REQUIRE_REAL_KUBE") is { Length: > 0 })
        {
            Assert.Fail(Missing + " (MONOKUBE_REQUIRE_REAL_KUBE is set, so this test may not be skipped)");
        }

        Assert.Skip(Missing);
    }

    private static string Require() => Folder ?? throw new InvalidOperationException(Missing);

    private static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("MONOKUBE_KUBE_BIN_DIR") is { Length: > 0 } named)
        {
            return Complete(named) ? named : null;
        }

        string root;
        try
        {
            root = RepositoryRoot.Find();
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        var install = Path.Combine(Path.GetDirectoryName(root)!, "shared", "k8s", "install");
        if (!File.Exists(install))
        {
            return null;
        }

        var start = new ProcessStartInfo(install) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        var folder = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return process.ExitCode == 0 && folder is not null && Complete(folder) ? folder : null;
    }

    private static bool Complete(string folder) =>
        new[] { "kube-apiserver", "kube-controller-manager", "kube-scheduler" }.All(b => File.Exists(Path.Combine(folder, b)));
}
