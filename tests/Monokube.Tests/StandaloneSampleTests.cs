using System.Diagnostics;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>
/// The README's standalone route as a user runs it: samples/standalone/run-python-tests.sh starts monokube serve on a
/// free port, points the Python suite at the kubeconfig it writes, and stops the server.
/// </summary>
public sealed class StandaloneSampleTests
{
    [Fact]
    public async Task The_python_suite_passes_against_a_standalone_serve()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();

        // The script takes one program: the native binary, or a wrapper that runs the dll with dotnet.
        var words = MonokubeProcess.CommandWords();
        var program = words[0];
        if (words.Count > 1)
        {
            program = dir.File("monokube");
            await File.WriteAllTextAsync(program, "#!/bin/sh\nexec " + string.Join(' ', words.Select(w => "'" + w + "'")) + " \"$@\"\n", ct);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var start = new ProcessStartInfo("bash", [Path.Combine(AppContext.BaseDirectory, "samples", "standalone", "run-python-tests.sh"), program])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // Debian's python3 is where apt-get install python3-kubernetes puts the client; another python3 on PATH may lack it.
        if (File.Exists("/usr/bin/python3"))
        {
            start.Environment["PYTHON"] = "/usr/bin/python3";
        }
        using var script = Process.Start(start)!;
        var stdout = script.StandardOutput.ReadToEndAsync(ct);
        var stderr = script.StandardError.ReadToEndAsync(ct);
        await script.WaitForExitAsync(ct);

        Assert.True(script.ExitCode == 0, await stderr + await stdout);
        Assert.Contains("Ran 2 tests", await stderr, StringComparison.Ordinal);
        Assert.Contains("OK", await stderr, StringComparison.Ordinal);
    }
}
