using Microsoft.Extensions.Logging;

namespace Monokube.Commands;

/// <summary>One category's logger of a <see cref="StderrLoggerProvider"/>; the factory's filters decide what reaches it.</summary>
internal sealed class StderrLogger(StderrLoggerProvider provider, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            provider.Write(logLevel, category, eventId, formatter(state, exception), exception);
        }
    }
}
