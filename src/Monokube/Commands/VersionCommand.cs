using System.Text.Json;
using Monokube.ApiServer;
using Monokube.CommandLine;

namespace Monokube.Commands;

internal sealed class VersionCommand : ICommand
{
    public string Name => "version";

    public string Summary => "Print monokube's version and the Kubernetes API version it serves";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        var flags = new FlagSet(Name, "monokube version [flags]", Summary + ".");
        var output = flags.Choice("output", "text", "Output format: text or json", "text", "json");
        var positional = Cli.ParseFlags(flags, args, context);
        if (positional is null)
        {
            return 0;
        }

        if (positional.Count > 0)
        {
            throw new CommandLineException($"unexpected argument \"{positional[0]}\"");
        }

        if (output.Value == "json")
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(KubernetesRelease.Default.Info, CliJsonContext.Relaxed.VersionInfo));
            return 0;
        }

        await context.Out.WriteLineAsync($"monokube {KubernetesVersion.Monokube}\nKubernetes API {KubernetesRelease.Default.GitVersion} ({KubernetesVersion.Platform})\nKubernetes releases it can serve (serve --emulated-version): {string.Join(", ", KubernetesRelease.Supported)}");
        return 0;
    }
}
