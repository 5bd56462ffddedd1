using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Hosting;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>Kestrel without the generic host: it serves the delegate, reports its port, stops, and fails to bind loudly.</summary>
public sealed class KestrelHostTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Task<KestrelHost> StartAsync(int port, RequestDelegate app) =>
        KestrelHost.StartAsync(NullLoggerFactory.Instance, kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1), null, app, Token);

    [Fact]
    public async Task It_serves_the_delegate_on_the_port_the_kernel_chose_until_stopped()
    {
        await using var host = await StartAsync(0, context => context.Response.WriteAsync(context.Request.Method + " " + context.Request.Path + context.Request.QueryString));
        var url = new Uri(host.Address);
        Assert.NotEqual(0, url.Port);

        using var http = new HttpClient { BaseAddress = url };
        Assert.Equal("GET /a/b?c=d", await http.GetStringAsync("/a/b?c=d", Token));

        await host.StopAsync(Token);
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(async () => await client.ConnectAsync(IPAddress.Loopback, url.Port, Token));
    }

    [Fact]
    public async Task A_port_in_use_fails_the_start_with_an_IOException()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        await Assert.ThrowsAsync<IOException>(() => StartAsync(port, _ => Task.CompletedTask));
    }

    [Fact]
    public async Task A_failing_request_gets_a_500_and_the_server_goes_on()
    {
        await using var host = await StartAsync(0, context => context.Request.Path == "/fail" ? throw new InvalidOperationException("boom") : context.Response.WriteAsync("ok"));
        using var http = new HttpClient { BaseAddress = new Uri(host.Address) };

        Assert.Equal(HttpStatusCode.InternalServerError, (await http.GetAsync("/fail", Token)).StatusCode);
        Assert.Equal("ok", await http.GetStringAsync("/", Token));
    }
}
