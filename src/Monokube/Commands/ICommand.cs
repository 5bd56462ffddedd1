namespace Monokube.Commands;

internal interface ICommand
{
    string Name { get; }

    /// <summary>One line for the command list of "monokube --help".</summary>
    string Summary { get; }

    /// <summary>Runs the command; the token is cancelled on SIGINT/SIGTERM. Returns the process exit code.</summary>
    Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken);
}
