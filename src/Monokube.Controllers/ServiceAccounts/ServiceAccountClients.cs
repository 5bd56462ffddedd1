using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.ServiceAccounts;

/// <summary>
/// --use-service-account-credentials: one API client per kube-system service account a controller acts as
/// (replicaset-controller, daemon-set-controller, ...), authenticated only by that account's tokens, so each
/// controller can do what its system:controller:* role allows and no more.
/// </summary>
public sealed class ServiceAccountClients(KubeClient root, TimeProvider time, ILoggerFactory loggers) : IDisposable
{
    public const string Namespace = "kube-system";

    private readonly Dictionary<string, (ServiceAccountTokenSource Tokens, KubeClient Client)> _clients = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public KubeClient For(string serviceAccount)
    {
        lock (_gate)
        {
            if (!_clients.TryGetValue(serviceAccount, out var entry))
            {
                var tokens = new ServiceAccountTokenSource(root, Namespace, serviceAccount, time, loggers.CreateLogger("Monokube.Controllers.Credentials"));
                var client = new KubeClient(root.Options.WithTokenSource(tokens.GetAsync, root.Options.UserAgent + "/" + serviceAccount));
                entry = (tokens, client);
                _clients[serviceAccount] = entry;
            }

            return entry.Client;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (tokens, client) in _clients.Values)
            {
                client.Dispose();
                tokens.Dispose();
            }

            _clients.Clear();
        }
    }
}
