using Monokube.ApiServer.Requests;
using Monokube.CommandLine;

namespace Monokube.Tests;

public sealed class FlagSetTests
{
    [Fact]
    public void Flags_parse_as_pflag_does()
    {
        var flags = new FlagSet("serve", "monokube serve", "test");
        var port = flags.Int("secure-port", 6443, "port");
        var address = flags.String("bind-address", "0.0.0.0", "address");
        var share = flags.Bool("permit-port-sharing", false, "share");
        var anonymous = flags.Bool("anonymous-auth", true, "anonymous");
        var servers = flags.StringList("etcd-servers", "servers");
        var timeout = flags.Duration("timeout", TimeSpan.FromMinutes(1), "timeout");

        var positional = flags.Parse(["--secure-port=0", "--bind-address", "127.0.0.1", "--permit-port-sharing", "--anonymous-auth=false",
            "--etcd-servers=http://a:1,http://b:2", "--etcd-servers", "http://c:3", "--timeout=1m30s", "extra", "--", "--not-a-flag"]);

        Assert.Equal(0, port.Value);
        Assert.Equal("127.0.0.1", address.Value);
        Assert.True(share.Value);
        Assert.False(anonymous.Value);
        Assert.True(anonymous.Changed);
        Assert.Equal(["http://a:1", "http://b:2", "http://c:3"], servers.Value);
        Assert.Equal(TimeSpan.FromSeconds(90), timeout.Value);
        Assert.Equal(["extra", "--not-a-flag"], positional);
    }

    [Theory]
    [InlineData("--nope", "unknown flag: --nope")]
    [InlineData("--secure-port=abc", "invalid argument \"abc\" for \"--secure-port\" flag")]
    [InlineData("--secure-port", "flag needs an argument: --secure-port")]
    [InlineData("--share=maybe", "invalid argument \"maybe\" for \"--share\" flag")]
    [InlineData("-xyz", "unknown shorthand flag")]
    public void Bad_flags_are_usage_errors(string arg, string message)
    {
        var flags = new FlagSet("serve", "monokube serve", "test");
        flags.Int("secure-port", 6443, "port");
        flags.Bool("share", false, "share");
        var error = Assert.Throws<CommandLineException>(() => flags.Parse([arg]));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_lists_every_flag_with_its_default()
    {
        var flags = new FlagSet("serve", "monokube serve [flags]", "Serve things.");
        flags.Int("secure-port", 6443, "The port");
        flags.Bool("insecure-http", false, "Plain HTTP");
        Assert.Null(flags.Parse(["--help"]));
        var help = flags.Help();
        Assert.Contains("--secure-port int", help, StringComparison.Ordinal);
        Assert.Contains("(default 6443)", help, StringComparison.Ordinal);
        Assert.Contains("--insecure-http ", help, StringComparison.Ordinal);
        Assert.StartsWith("Serve things.", help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("300ms", 300)]
    [InlineData("0", 0)]
    [InlineData("2h45m", 9_900_000)]
    public void Go_durations_parse(string text, double milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GoDuration.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("5 minutes")]
    [InlineData("1d")]
    public void Bad_go_durations_are_refused(string text)
    {
        Assert.Throws<FormatException>(() => GoDuration.Parse(text));
    }

    [Theory]
    [InlineData(10_000, "10s")]
    [InlineData(90_000, "1m30s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(1_500, "1.5s")]
    public void Go_durations_format(double milliseconds, string text)
    {
        Assert.Equal(text, GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));
    }
}
