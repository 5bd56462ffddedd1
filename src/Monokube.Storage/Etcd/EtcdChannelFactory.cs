using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Monokube.Storage.Etcd;

/// <summary>One gRPC channel over every etcd member, round-robin, reconnecting on its own.</summary>
internal static class EtcdChannelFactory
{
    public static GrpcChannel Create(EtcdOptions options)
    {
        var secure = options.Endpoints[0].Scheme == Uri.UriSchemeHttps;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.DialTimeout,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,

            // etcd refuses pings on idle connections (too_many_pings); a ping during a long watch detects a dead member.
            KeepAlivePingDelay = TimeSpan.FromSeconds(15),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };

        if (secure)
        {
            handler.SslOptions = CreateSslOptions(options);
        }

        var addresses = options.Endpoints.Select(e => new BalancerAddress(e.Host, e.Port)).ToArray();
        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses));

        return GrpcChannel.ForAddress("static:///etcd", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            Credentials = secure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } },
            ServiceProvider = services.BuildServiceProvider(),
            // A restarted member should be found again within seconds, not after gRPC's default two-minute backoff.
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(200),
            MaxReconnectBackoff = TimeSpan.FromSeconds(3),
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
    }

    private static SslClientAuthenticationOptions CreateSslOptions(EtcdOptions options)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (options.CertFile is not null || options.KeyFile is not null)
        {
            if (options.CertFile is null || options.KeyFile is null)
            {
                throw new ArgumentException("etcd client TLS needs both a certificate file and a key file");
            }

            using var pem = X509Certificate2.CreateFromPemFile(options.CertFile, options.KeyFile);

            // SslStream on Linux wants the key in a persisted form; a PKCS#12 round trip gives it one.
            var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            ssl.ClientCertificates = [certificate];
        }

        if (options.CaFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(options.CaFile);
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                ValidateAgainst(roots, certificate, errors);
        }

        return ssl;
    }

    private static bool ValidateAgainst(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
