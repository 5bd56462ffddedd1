using System.Text;
using Monokube.CommandLine;

namespace Monokube.Commands;

/// <summary>The command table of the monokube binary.</summary>
internal static class Cli
{
    public const int ExitUsage = 2;

    private static readonly ICommand[] Commands = [new ServeCommand(), new RenderCommand(), new StartCommand(), new NodeCommand(), ComponentCommand.ControllerManager, ComponentCommand.Scheduler, new VersionCommand()];

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help" && args.Length == 1)
        {
            await context.Out.WriteAsync(Usage());
            return args.Length == 0 ? ExitUsage : 0;
        }

        var name = args[0] == "help" ? args[1] : args[0];
        var command = Commands.FirstOrDefault(c => c.Name == name);
        if (command is null)
        {
            await context.Error.WriteLineAsync($"Error: unknown command \"{name}\" for \"monokube\"\nRun 'monokube --help' for usage.");
            return ExitUsage;
        }

        var rest = args[0] == "help" ? ["--help"] : args.Skip(1).ToArray();
        try
        {
            return await command.RunAsync(rest, context, cancellationToken);
        }
        catch (CommandLineException e)
        {
            await context.Error.WriteLineAsync($"Error: {e.Message}\nRun 'monokube {command.Name} --help' for usage.");
            return ExitUsage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // SIGINT/SIGTERM while starting up or shutting down is an orderly stop, not a crash.
            return 0;
        }
    }

    /// <summary>Parses a command's flags; writes its help and returns null when -h/--help was given.</summary>
    public static IReadOnlyList<string>? ParseFlags(FlagSet flags, IReadOnlyList<string> args, CliContext context)
    {
        var positional = flags.Parse(args);
        if (positional is null)
        {
            context.Out.Write(flags.Help());
        }

        return positional;
    }

    private static string Usage()
    {
        var text = new StringBuilder();
        text.Append("monokube: a Kubernetes-compatible API server in one native binary, for self-hosted cluster bootstrap\n");
        text.Append("and for integration tests that need a real Kubernetes API in milliseconds.\n\nUsage:\n  monokube <command> [flags]\n\nCommands:\n");
        foreach (var command in Commands)
        {
            text.Append("  ").Append(command.Name.PadRight(20)).Append(command.Summary).Append('\n');
        }

        text.Append("  help                Help about any command\n\nRun 'monokube <command> --help' for a command's flags.\n");
        return text.ToString();
    }
}
