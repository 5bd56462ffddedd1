using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Monokube.Commands;

namespace Monokube.Tests;

/// <summary>The command line's logs: one line each on stderr, filtered by -v as klog's verbosity.</summary>
public sealed class LoggingTests
{
    private static string[] Log(int verbosity, Action<ILoggerFactory> write)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        clock.SetLocalTimeZone(TimeZoneInfo.Utc);
        var output = new StringWriter();
        using (var loggers = Logging.CreateFactory(verbosity, output, clock))
        {
            write(loggers);
        }

        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void An_entry_is_one_line_with_time_level_category_and_event()
    {
        var lines = Log(0, loggers => loggers.CreateLogger("Monokube.Test").Log(LogLevel.Warning, new EventId(42), "two\nlines", null, (s, _) => s));

        Assert.Equal(["03:04:05.678 warn: Monokube.Test[42] two lines"], lines);
    }

    [Fact]
    public void An_exception_stays_on_the_entry_line()
    {
        var lines = Log(0, loggers => loggers.CreateLogger("Monokube.Test").LogError(new InvalidOperationException("broken"), "failed"));

        var line = Assert.Single(lines);
        Assert.StartsWith("03:04:05.678 fail: Monokube.Test[0] failed System.InvalidOperationException: broken", line, StringComparison.Ordinal);
    }

    [Fact]
    public void By_default_debug_and_the_frameworks_information_are_left_out()
    {
        var lines = Log(0, loggers =>
        {
            loggers.CreateLogger("Monokube.Test").LogDebug("debug");
            loggers.CreateLogger("Monokube.Test").LogInformation("info");
            loggers.CreateLogger("Microsoft.AspNetCore.Server").LogInformation("listening");
            loggers.CreateLogger("Microsoft.AspNetCore.Server").LogWarning("careful");
            loggers.CreateLogger("Grpc.Net.Client").LogInformation("call");
        });

        Assert.Equal(["info", "careful"], lines.Select(l => l[(l.LastIndexOf(']') + 2)..]));
    }

    [Theory]
    [InlineData(4, new[] { "debug", "listening" })]
    [InlineData(6, new[] { "trace", "debug", "listening" })]
    public void More_verbosity_shows_debug_then_trace_from_everyone(int verbosity, string[] expected)
    {
        var lines = Log(verbosity, loggers =>
        {
            loggers.CreateLogger("Monokube.Test").LogTrace("trace");
            loggers.CreateLogger("Monokube.Test").LogDebug("debug");
            loggers.CreateLogger("Microsoft.AspNetCore.Server").LogInformation("listening");
        });

        Assert.Equal(expected, lines.Select(l => l[(l.LastIndexOf(']') + 2)..]));
    }
}
