using System.Net;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Health;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Security.Pki;
using Monokube.CommandLine;
using Monokube.Controllers.Client;

namespace Monokube.Commands;

/// <summary>
/// The secure-serving and delegated-auth flags kube-controller-manager and kube-scheduler share, and the health
/// server they describe: /healthz, /livez and /readyz over HTTPS on --bind-address:--secure-port.
/// </summary>
internal sealed class SecureServingFlags
{
    private readonly Flag<string> _bindAddress;
    private readonly Flag<int> _port;
    private readonly Flag<string> _certDir;
    private readonly Flag<string> _tlsCert;
    private readonly Flag<string> _tlsKey;
    private readonly Flag<string> _authenticationKubeconfig;
    private readonly Flag<string> _authorizationKubeconfig;
    private readonly Flag<string> _contentType;
    private IPAddress _address = IPAddress.Any;

    public SecureServingFlags(FlagSet flags, int defaultPort)
    {
        _bindAddress = flags.String("bind-address", "0.0.0.0", "The IP address to serve /healthz, /livez and /readyz on (HTTPS)");
        _port = flags.Int("secure-port", defaultPort, "The HTTPS port of /healthz, /livez and /readyz; 0 serves nothing");
        _certDir = flags.String("cert-dir", "", "Where the serving certificate is generated (and reused from) when --tls-cert-file is not given; empty: generated in memory");
        _tlsCert = flags.String("tls-cert-file", "", "PEM serving certificate of the secure port; default: a self-signed one for localhost and 127.0.0.1");
        _tlsKey = flags.String("tls-private-key-file", "", "PEM private key of --tls-cert-file");
        _authenticationKubeconfig = flags.String("authentication-kubeconfig", "", "A kubeconfig (checked to load) that kube uses to authenticate requests to other paths than /healthz, /livez and /readyz; monokube serves only those, which need no credentials");
        _authorizationKubeconfig = flags.String("authorization-kubeconfig", "", "A kubeconfig (checked to load) that kube uses to authorize requests to other paths than /healthz, /livez and /readyz; monokube serves only those, which are always allowed");
        _contentType = flags.String("kube-api-content-type", "application/json", "The content type of requests to the API: application/json (monokube's clients speak JSON only)");
    }

    public int Port => _port.Value;

    /// <summary>Where the health server was asked to listen, for messages.</summary>
    public string Endpoint => _address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{_address}]:{_port.Value}" : $"{_address}:{_port.Value}";

    /// <summary>Checks the flags; a <see cref="CommandLineException"/> says what is wrong.</summary>
    public void Validate()
    {
        if (!IPAddress.TryParse(_bindAddress.Value, out var address))
        {
            throw new CommandLineException($"invalid --bind-address \"{_bindAddress.Value}\": not an IP address");
        }

        _address = address;
        if (_port.Value is < 0 or > 65535)
        {
            throw new CommandLineException($"--secure-port {_port.Value} must be between 0 and 65535");
        }

        if (_tlsCert.Value.Length > 0 != _tlsKey.Value.Length > 0)
        {
            throw new CommandLineException("--tls-cert-file and --tls-private-key-file go together");
        }

        var contentType = _contentType.Value.Split(';')[0].Trim();
        if (contentType == "application/vnd.kubernetes.protobuf")
        {
            throw new CommandLineException("--kube-api-content-type=application/vnd.kubernetes.protobuf is not supported: monokube's clients speak JSON (application/json)");
        }

        if (contentType != "application/json")
        {
            throw new CommandLineException($"unsupported --kube-api-content-type \"{_contentType.Value}\": monokube's clients speak JSON (application/json)");
        }
    }

    /// <summary>Loads the delegated-auth kubeconfigs, so a broken one fails at start as it does in kube.</summary>
    public void LoadDelegatedKubeconfigs(string userAgent)
    {
        foreach (var path in new[] { _authenticationKubeconfig.Value, _authorizationKubeconfig.Value }.Where(p => p.Length > 0).Distinct(StringComparer.Ordinal))
        {
            KubeconfigFile.Load(path, userAgent);
        }
    }

    /// <summary>Starts the health server (null with --secure-port=0); an address that cannot be bound throws an <see cref="IOException"/>.</summary>
    public async Task<HealthServer?> StartAsync(string pairName, IEnumerable<HealthCheck> checks, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (_port.Value == 0)
        {
            return null;
        }

        var certificate = ComponentServingCertificate.Load(NullIfEmpty(_tlsCert.Value), NullIfEmpty(_tlsKey.Value), NullIfEmpty(_certDir.Value), pairName, DateTimeOffset.UtcNow);
        return await HealthServer.StartAsync(_address, _port.Value, certificate, checks, loggers, cancellationToken);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
