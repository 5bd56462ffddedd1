using Microsoft.Extensions.Logging;

namespace Monokube.Commands;

/// <summary>
/// Writes each log entry as one line to a writer (stderr): "HH:mm:ss.fff info: Category[event] message". Built
/// without dependency injection: the console provider's options machinery cost about 10 ms of the native binary's
/// start (generic types constructed at run time).
/// </summary>
internal sealed class StderrLoggerProvider(TextWriter output, TimeProvider time) : ILoggerProvider
{
    private readonly Lock _write = new();

    public ILogger CreateLogger(string categoryName) => new StderrLogger(this, categoryName);

    public void Dispose()
    {
    }

    internal void Write(LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        var line = new System.Text.StringBuilder(64 + category.Length + message.Length)
            .Append(time.GetLocalNow().ToString("HH:mm:ss.fff ", System.Globalization.CultureInfo.InvariantCulture))
            .Append(LevelName(level)).Append(": ").Append(category).Append('[').Append(eventId.Id).Append("] ")
            .Append(message.ReplaceLineEndings(" "));
        if (exception is not null)
        {
            line.Append(' ').Append(exception.ToString().ReplaceLineEndings(" "));
        }

        lock (_write)
        {
            output.WriteLine(line.ToString());
            output.Flush();
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };
}
