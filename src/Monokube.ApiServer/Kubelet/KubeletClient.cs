using System.Security.Cryptography.X509Certificates;
using Monokube.ApiServer.Security.Pki;

namespace Monokube.ApiServer.Kubelet;

/// <summary>
/// HTTPS to kubelets, as kube-apiserver dials them: with the --kubelet-client-certificate (when given) and without
/// verifying the kubelet's serving certificate (kube-apiserver verifies it only with --kubelet-certificate-authority,
/// which monokube does not have). Redirects are not followed. Responses are streamed: no overall timeout.
/// </summary>
public sealed class KubeletClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly X509Certificate2? _certificate;

    public KubeletClient(KubeletClientOptions options)
    {
        Options = options;
        _certificate = options.CertificateFile is { } certificateFile ? PemFiles.LoadCertificateWithKey(certificateFile, options.KeyFile!) : null;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        if (_certificate is { } certificate)
        {
            // Offered whatever CAs the kubelet names as acceptable: a kubelet's client CA list need not include ours.
            handler.SslOptions.ClientCertificates = [certificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public KubeletClientOptions Options { get; }

    /// <summary>GETs a kubelet URL; returns once the headers are in, the body still streaming.</summary>
    public Task<HttpResponseMessage> GetAsync(Uri url, CancellationToken cancellationToken) =>
        _http.SendAsync(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    public void Dispose()
    {
        _http.Dispose();
        _certificate?.Dispose();
    }
}
