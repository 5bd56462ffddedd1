using Microsoft.Extensions.Logging;

namespace Monokube.Testing;

/// <summary>Hands the server's loggers to the factory a test gave, so every part of a cluster logs to one place.</summary>
internal sealed class LoggerFactoryProvider(ILoggerFactory factory) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

    // The factory is the test's; it outlives the cluster.
    public void Dispose()
    {
    }
}
