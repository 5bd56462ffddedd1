using Microsoft.Extensions.Logging;

namespace Monokube.Commands;

/// <summary>Logs go to stderr, one line each, with klog-like verbosity (-v).</summary>
internal static class Logging
{
    public static ILoggerFactory CreateFactory(int verbosity, TextWriter? output = null, TimeProvider? time = null)
    {
        var level = verbosity switch
        {
            >= 6 => LogLevel.Trace,
            >= 4 => LogLevel.Debug,
            _ => LogLevel.Information,
        };
        var quiet = verbosity >= 4 ? level : LogLevel.Warning;
        var filters = new LoggerFilterOptions { MinLevel = level };
        filters.Rules.Add(new LoggerFilterRule(null, "Microsoft", quiet, null));
        filters.Rules.Add(new LoggerFilterRule(null, "Grpc", quiet, null));
        return new LoggerFactory([new StderrLoggerProvider(output ?? Console.Error, time ?? TimeProvider.System)], filters);
    }
}
