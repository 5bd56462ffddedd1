using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Monokube.Controllers.Client;

/// <summary>Where the API is and how to reach it: the server's CA (or its certificate, pinned), and the credentials.</summary>
public sealed class KubeClientOptions
{
    public required Uri Server { get; init; }

    /// <summary>CAs the serving certificate must chain to.</summary>
    public X509Certificate2Collection CertificateAuthorities { get; init; } = [];

    /// <summary>A serving certificate trusted as it is (the in-process loopback client of monokube serve).</summary>
    public X509Certificate2? PinnedServerCertificate { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>
    /// Where a client certificate that changes over time comes from, asked at every TLS handshake (overrides
    /// <see cref="ClientCertificate"/>): a kubelet's rotated certificate.
    /// </summary>
    public Func<X509Certificate2?>? ClientCertificateSource { get; init; }

    /// <summary>Opens the client's connections so that they can be closed at once (after a certificate rotation).</summary>
    public ConnectionTracker? Connections { get; init; }

    public string? BearerToken { get; init; }

    /// <summary>Where a bearer token that changes over time comes from, asked before every request (overrides <see cref="BearerToken"/>).</summary>
    public Func<CancellationToken, ValueTask<string>>? TokenSource { get; init; }

    public string UserAgent { get; init; } = "monokube-controllers";

    /// <summary>
    /// The same server and trust with no credentials but the tokens of <paramref name="tokenSource"/>, as client-go's
    /// AnonymousClientConfig plus a token: what a controller acting as a service account uses.
    /// </summary>
    public KubeClientOptions WithTokenSource(Func<CancellationToken, ValueTask<string>> tokenSource, string userAgent) => new()
    {
        Server = Server,
        CertificateAuthorities = CertificateAuthorities,
        PinnedServerCertificate = PinnedServerCertificate,
        InsecureSkipTlsVerify = InsecureSkipTlsVerify,
        TokenSource = tokenSource,
        UserAgent = userAgent,
    };

    /// <summary>
    /// The same server, trust and user agent, authenticated by the certificate <paramref name="source"/> holds at each
    /// handshake, over connections <paramref name="connections"/> can close.
    /// </summary>
    public KubeClientOptions WithClientCertificateSource(Func<X509Certificate2?> source, ConnectionTracker connections) => new()
    {
        Server = Server,
        CertificateAuthorities = CertificateAuthorities,
        PinnedServerCertificate = PinnedServerCertificate,
        InsecureSkipTlsVerify = InsecureSkipTlsVerify,
        ClientCertificateSource = source,
        Connections = connections,
        UserAgent = UserAgent,
    };

    public SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            EnableMultipleHttp2Connections = true,
        };
        if (Connections is not null)
        {
            handler.ConnectCallback = Connections.ConnectAsync;
        }

        if (Server.Scheme != Uri.UriSchemeHttps)
        {
            return handler;
        }

        handler.SslOptions.RemoteCertificateValidationCallback = Validate;
        if (ClientCertificateSource is { } source)
        {
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => source()!;
        }
        else if (ClientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [ClientCertificate];
        }

        return handler;
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (InsecureSkipTlsVerify)
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        if (PinnedServerCertificate is not null)
        {
            return PinnedServerCertificate.RawDataMemory.Span.SequenceEqual(certificate.GetRawCertData());
        }

        if (CertificateAuthorities.Count == 0)
        {
            return errors == SslPolicyErrors.None;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(CertificateAuthorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }
}
