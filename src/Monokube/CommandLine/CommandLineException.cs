namespace Monokube.CommandLine;

/// <summary>A usage error: the message is shown with a pointer to --help, and the process exits with code 2.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
