using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// A kubelet's /containerLogs/{ns}/{pod}/{container}, in the test: HTTPS on 127.0.0.1 and a free port with a
/// self-signed certificate, asking for a client certificate (requiring one, or not) and recording each request with
/// the certificate it was shown. Canned logs by container name:
/// "app" writes "line 1".."line 5" (tailLines, timestamps and limitBytes honoured; with follow=true it then writes
/// "tick N" every 100 ms until the caller goes away), "sidecar" writes one line, "waiting" answers 400 as a kubelet
/// does for a container that has not started.
/// </summary>
public sealed class ContainerLogServer : IAsyncDisposable
{
    public const int AppLines = 5;

    private readonly WebApplication _app;

    private ContainerLogServer(WebApplication app)
    {
        _app = app;
    }

    public int Port { get; private set; }

    /// <summary>Every request: its path and query, and the subject of the client certificate (null: none shown).</summary>
    public ConcurrentQueue<(string PathAndQuery, string? ClientSubject)> Requests { get; } = new();

    /// <summary>Set once a follow stream ended because its caller went away.</summary>
    public TaskCompletionSource FollowAbandoned { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<ContainerLogServer> StartAsync(bool requireClientCertificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = SelfSignedServing();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ClientCertificateMode = requireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        })));
        var app = builder.Build();
        var server = new ContainerLogServer(app);
        app.MapGet("/containerLogs/{ns}/{pod}/{container}", (HttpContext context, string pod, string container) => server.ServeAsync(context, pod, container));
        await app.StartAsync();
        server.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ServeAsync(HttpContext context, string pod, string container)
    {
        Requests.Enqueue((context.Request.Path + context.Request.QueryString, context.Connection.ClientCertificate?.Subject));
        var query = context.Request.Query;
        switch (container)
        {
            case "waiting":
                context.Response.StatusCode = 400;
                await context.Response.WriteAsync($"container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating");
                return;
            case "sidecar":
                await context.Response.WriteAsync("sidecar says hi\n");
                return;
        }

        var lines = Enumerable.Range(1, AppLines).Select(i => $"line {i}").ToList();
        if (query["tailLines"].ToString() is { Length: > 0 } tail)
        {
            lines = lines.TakeLast(int.Parse(tail, CultureInfo.InvariantCulture)).ToList();
        }

        if (query["timestamps"] == "true")
        {
            lines = lines.Select(l => $"2025-01-02T03:04:0{l[^1]}.000000000Z {l}").ToList();
        }

        var text = string.Concat(lines.Select(l => l + "\n"));
        if (query["limitBytes"].ToString() is { Length: > 0 } limit)
        {
            text = text[..Math.Min(text.Length, int.Parse(limit, CultureInfo.InvariantCulture))];
        }

        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(text);
        if (query["follow"] != "true")
        {
            return;
        }

        try
        {
            for (var tick = 1; tick <= 600; tick++)
            {
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(100, context.RequestAborted);
                await context.Response.WriteAsync($"tick {tick}\n", context.RequestAborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            FollowAbandoned.TrySetResult();
        }
    }

    private static X509Certificate2 SelfSignedServing()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=fake-kubelet", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
