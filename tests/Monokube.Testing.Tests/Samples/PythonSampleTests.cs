using System.Diagnostics;
using Monokube.Testing;
using Xunit;

namespace Samples;

/// <summary>docs/testing-library.md's Python suite (samples/standalone/test_configmaps.py), pointed at a cluster's kubeconfig file.</summary>
public class PythonSampleTests
{
    [Fact]
    public async Task The_python_sample_passes_with_the_written_kubeconfig()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await MonokubeCluster.StartAsync(cancellationToken: ct);
        var start = new ProcessStartInfo(Python(), ["-m", "unittest", "-v", "test_configmaps"])
        {
            WorkingDirectory = Path.Combine(AppContext.BaseDirectory, "samples"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["KUBECONFIG"] = cluster.KubeconfigPath;

        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync(ct);
        var stderr = python.StandardError.ReadToEndAsync(ct);
        await python.WaitForExitAsync(ct);

        Assert.True(python.ExitCode == 0, await stderr + await stdout);
        Assert.Contains("Ran 2 tests", await stderr, StringComparison.Ordinal);
    }

    // Debian's python3 is where apt-get install python3-kubernetes puts the client; another python3 on PATH may lack it.
    private static string Python() => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}
