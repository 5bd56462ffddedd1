using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Hosting;

namespace Monokube.Node.Server;

/// <summary>
/// The kubelet port: HTTPS with a self-signed serving certificate (as a kubelet makes for itself), clients
/// authenticated by a certificate from --client-ca-file when one is given, serving /healthz and
/// /containerLogs/{namespace}/{pod}/{container} — what kube-apiserver's pods/log proxies to.
/// </summary>
public sealed class KubeletServer : IAsyncDisposable
{
    private readonly KestrelHost _kestrel;

    private KubeletServer(KestrelHost kestrel, int port)
    {
        _kestrel = kestrel;
        Port = port;
    }

    /// <summary>The port bound (the one asked for, or the one the kernel chose for 0).</summary>
    public int Port { get; }

    /// <summary>Where a pod's container log is: the file and whether its run is still going; null when the pod or container is unknown here.</summary>
    public delegate (string Path, bool Live)? LogLocator(string ns, string pod, string container, bool previous);

    public static async Task<KubeletServer> StartAsync(NodeAgentOptions options, string nodeName, LogLocator logs, TimeProvider time, CancellationToken cancellationToken)
    {
        var clientCas = new X509Certificate2Collection();
        if (options.ClientCaFile is { } caFile)
        {
            clientCas.ImportFromPemFile(caFile);
        }

        var certificate = ServingCertificate(nodeName, options.NodeIp);
        var kestrel = await KestrelHost.StartAsync(NullLoggerFactory.Instance, kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Parse(options.Address), options.Port, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificate,
                ClientCertificateMode = clientCas.Count > 0 ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.NoCertificate,
                ClientCertificateValidation = (client, _, _) => Chains(client, clientCas),
                CheckCertificateRevocation = false,
            }));
        }, null, context => RouteAsync(context, logs, time), cancellationToken);
        return new KubeletServer(kestrel, new Uri(kestrel.Address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _kestrel.StopAsync(CancellationToken.None);
        await _kestrel.DisposeAsync();
    }

    private static Task RouteAsync(HttpContext context, LogLocator logs, TimeProvider time)
    {
        var path = context.Request.Path.Value ?? "";
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            return PlainAsync(context, 405, "only GET is served here");
        }

        return parts switch
        {
            ["healthz"] => PlainAsync(context, 200, "ok"),
            ["containerLogs", var ns, var pod, var container] => ServeLogAsync(context, Uri.UnescapeDataString(ns), Uri.UnescapeDataString(pod), Uri.UnescapeDataString(container), logs, time),
            _ => PlainAsync(context, 404, "404 page not found"),
        };
    }

    private static async Task ServeLogAsync(HttpContext context, string ns, string pod, string container, LogLocator logs, TimeProvider time)
    {
        var query = context.Request.Query;
        if (query.ContainsKey("sinceSeconds") || query.ContainsKey("sinceTime") || Flag(query, "timestamps"))
        {
            await PlainAsync(context, 400, "monokube's process runtime does not record when log lines were written: sinceSeconds, sinceTime and timestamps are not supported");
            return;
        }

        long? tail = null, limit = null;
        if ((query["tailLines"].ToString() is { Length: > 0 } t && !long.TryParse(t, CultureInfo.InvariantCulture, out var tailValue)) ||
            (query["limitBytes"].ToString() is { Length: > 0 } l && !long.TryParse(l, CultureInfo.InvariantCulture, out var limitValue)))
        {
            await PlainAsync(context, 400, "tailLines and limitBytes must be integers");
            return;
        }

        if (long.TryParse(query["tailLines"], CultureInfo.InvariantCulture, out var parsedTail))
        {
            tail = parsedTail;
        }

        if (long.TryParse(query["limitBytes"], CultureInfo.InvariantCulture, out var parsedLimit))
        {
            limit = parsedLimit;
        }

        var previous = Flag(query, "previous");
        var found = logs(ns, pod, container, previous);
        if (found is not { } log)
        {
            await PlainAsync(context, 404, previous
                ? $"previous terminated container \"{container}\" in pod \"{pod}\" not found"
                : $"container \"{container}\" in pod \"{ns}/{pod}\" is not available");
            return;
        }

        context.Response.ContentType = "text/plain";
        var follow = Flag(query, "follow");
        await context.Response.StartAsync(context.RequestAborted);
        try
        {
            await ContainerLogs.CopyAsync(log.Path, () => logs(ns, pod, container, previous)?.Live == true, tail, limit, follow && log.Live, context.Response.Body, time, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private static bool Flag(IQueryCollection query, string name) => query[name].ToString() is "true" or "1";

    private static async Task PlainAsync(HttpContext context, int code, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(message, context.RequestAborted);
    }

    private static bool Chains(X509Certificate2 certificate, X509Certificate2Collection cas)
    {
        if (cas.Count == 0)
        {
            return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(cas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    // A kubelet without a serving certificate makes a self-signed one for its host name and address.
    private static X509Certificate2 ServingCertificate(string nodeName, string nodeIp)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={nodeName}@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(nodeName);
        if (IPAddress.TryParse(nodeIp, out var ip))
        {
            names.AddIpAddress(ip);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
