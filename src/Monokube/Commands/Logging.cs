using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Monokube.Commands;

/// <summary>Logs go to stderr, one line each, with klog-like verbosity (-v).</summary>
internal static class Logging
{
    public static ILoggerFactory CreateFactory(int verbosity) => LoggerFactory.Create(builder => Configure(builder, verbosity));

    public static void Configure(ILoggingBuilder builder, int verbosity)
    {
        var level = verbosity switch
        {
            >= 6 => LogLevel.Trace,
            >= 4 => LogLevel.Debug,
            _ => LogLevel.Information,
        };
        builder.SetMinimumLevel(level);
        builder.AddFilter("Microsoft", verbosity >= 4 ? level : LogLevel.Warning);
        builder.AddFilter("Grpc", verbosity >= 4 ? level : LogLevel.Warning);
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = false;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
