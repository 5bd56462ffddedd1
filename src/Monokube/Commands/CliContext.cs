namespace Monokube.Commands;

/// <summary>Where a command writes: stdout for its results, stderr for logs and errors.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error);
