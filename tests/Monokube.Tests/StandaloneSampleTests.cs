using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>
/// docs/testing-library.md's standalone route as a user runs it: samples/standalone/run-python-tests.sh starts monokube serve on a
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

        // Debian's python3 is where apt-get install python3-kubernetes puts the client; another python3 on PATH may lack it.
        var environment = File.Exists("/usr/bin/python3") ? new Dictionary<string, string> { ["PYTHON"] = "/usr/bin/python3" } : null;
        await using var script = BackgroundProcess.Start("bash", [Path.Combine(AppContext.BaseDirectory, "samples", "standalone", "run-python-tests.sh"), program], environment);
        var exitCode = await script.WaitForExitAsync(TimeSpan.FromMinutes(2));

        Assert.True(exitCode == 0, script.Stderr + script.Stdout);
        Assert.Contains("Ran 2 tests", script.Stderr, StringComparison.Ordinal);
        Assert.Contains("OK", script.Stderr, StringComparison.Ordinal);
    }
}
