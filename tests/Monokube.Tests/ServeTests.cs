using System.Net;
using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>"monokube serve" started as a process, as users start it, and probed with HTTP and kubectl.</summary>
public sealed class ServeTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_answers_health_and_version_on_a_port_it_picked()
    {
        await using var server = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0");

        Assert.StartsWith("http://127.0.0.1:", server.Url, StringComparison.Ordinal);
        foreach (var path in new[] { "/healthz", "/livez", "/readyz", "/healthz/ping" })
        {
            var response = await Http.GetAsync(server.Url + path, Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync(Token));
        }

        var verbose = await Http.GetStringAsync(server.Url + "/readyz?verbose", Token);
        Assert.Equal("[+]ping ok\n[+]log ok\n[+]shutdown ok\n[+]poststarthook/start-system-namespaces-controller ok\nreadyz check passed\n", verbose);
        Assert.DoesNotContain("shutdown", await Http.GetStringAsync(server.Url + "/livez?verbose", Token), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(server.Url + "/healthz/nope", Token)).StatusCode);

        var version = JsonNode.Parse(await Http.GetStringAsync(server.Url + "/version", Token))!;
        Assert.Equal("1", version["major"]!.GetValue<string>());
        Assert.Equal("33", version["minor"]!.GetValue<string>());
        Assert.StartsWith("v1.33.0+monokube.", version["gitVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("linux/amd64", version["platform"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(27)]
    [InlineData(30)]
    [InlineData(33)]
    public async Task Kubectl_reads_the_server_version_through_the_written_kubeconfig(int minor)
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("kubeconfig");
        await using var server = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0", "--write-kubeconfig", kubeconfig);

        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(minor), kubeconfig, "version", "-o", "json");
        Assert.True(code == 0, stderr);
        var server_ = JsonNode.Parse(stdout)!["serverVersion"]!;
        Assert.StartsWith("v1.33.0+monokube.", server_["gitVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(server.Url, (await File.ReadAllLinesAsync(kubeconfig, Token)).Single(l => l.Contains("server:", StringComparison.Ordinal)).Split("server:")[1].Trim());
    }

    [Fact]
    public async Task Readyz_follows_etcd_down_and_up_again()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        await using var server = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0", "--etcd-servers", etcd.ClientUrl);

        Assert.Contains("[+]etcd ok", await Http.GetStringAsync(server.Url + "/readyz?verbose", Token), StringComparison.Ordinal);
        Assert.Contains("(storage: etcd)", server.Output, StringComparison.Ordinal);

        await etcd.KillAsync();
        var failing = await Eventually.WaitAsync(
            async () =>
            {
                var response = await Http.GetAsync(server.Url + "/readyz", Token);
                return (response.StatusCode == HttpStatusCode.InternalServerError, await response.Content.ReadAsStringAsync(Token));
            },
            TimeSpan.FromSeconds(20),
            "readyz to fail while etcd is down");
        Assert.Contains("[-]etcd failed: reason withheld", failing, StringComparison.Ordinal);
        Assert.EndsWith("readyz check failed\n", failing, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(server.Url + "/readyz?exclude=etcd", Token)).StatusCode);

        await etcd.RestartAsync();
        await Eventually.WaitAsync(
            async () => (await Http.GetAsync(server.Url + "/readyz", Token)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30),
            "readyz to pass once etcd is back");
    }

    [Fact]
    public async Task Paths_not_served_answer_with_a_kubernetes_status()
    {
        await using var server = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0");

        var response = await Http.GetAsync(server.Url + "/apis/example.com/v1/widgets", Token);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal("v1", status["apiVersion"]!.GetValue<string>());
        Assert.Equal("Failure", status["status"]!.GetValue<string>());
        Assert.Equal("NotFound", status["reason"]!.GetValue<string>());
        Assert.Equal(404, status["code"]!.GetValue<int>());
        Assert.Equal("the server could not find the requested resource", status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sigterm_stops_the_server_cleanly()
    {
        var server = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0");
        await using (server)
        {
            var url = server.Url;
            Assert.Equal(0, await server.TerminateAsync());
            await Assert.ThrowsAsync<HttpRequestException>(() => Http.GetAsync(url + "/healthz", Token));
        }
    }

    [Fact]
    public async Task A_taken_port_is_reported_and_exits_non_zero()
    {
        await using var first = await MonokubeProcess.ServeAsync("--insecure-http", "--secure-port=0");
        var port = new Uri(first.Url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (code, output) = await MonokubeProcess.RunAsync("serve", "--insecure-http", "--secure-port", port);
        Assert.Equal(1, code);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve --nope", "unknown flag: --nope")]
    [InlineData("serve --tls-cert-file=server.crt", "--tls-cert-file and --tls-private-key-file go together")]
    [InlineData("serve --insecure-http --token-auth-file=tokens.csv", "cannot be combined with")]
    [InlineData("serve --insecure-http --request-timeout=0s", "--request-timeout must be positive")]
    [InlineData("serve --insecure-http --request-timeout=soon", "invalid argument \"soon\" for \"--request-timeout\" flag")]
    [InlineData("serve --insecure-http --bind-address=0.0.0.0", "only on a loopback address")]
    [InlineData("serve --insecure-http --storage=etcd", "--storage=etcd needs --etcd-servers")]
    [InlineData("serve --insecure-http --etcd-servers=ftp://x:1", "invalid --etcd-servers")]
    [InlineData("serve --insecure-http --secure-port=http", "invalid argument \"http\" for \"--secure-port\" flag")]
    [InlineData("frobnicate", "unknown command \"frobnicate\"")]
    public async Task Usage_errors_exit_2_with_a_clear_message(string commandLine, string message)
    {
        var (code, output) = await MonokubeProcess.RunAsync(commandLine.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_and_version_work()
    {
        var (code, help) = await MonokubeProcess.RunAsync("--help");
        Assert.Equal(0, code);
        Assert.Contains("serve", help, StringComparison.Ordinal);
        Assert.Contains("version", help, StringComparison.Ordinal);

        var (serveCode, serveHelp) = await MonokubeProcess.RunAsync("serve", "--help");
        Assert.Equal(0, serveCode);
        Assert.Contains("--etcd-servers strings", serveHelp, StringComparison.Ordinal);

        var (versionCode, version) = await MonokubeProcess.RunAsync("version", "--output=json");
        Assert.Equal(0, versionCode);
        Assert.StartsWith("v1.33.0+monokube.", JsonNode.Parse(version)!["gitVersion"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
