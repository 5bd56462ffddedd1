using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.ServiceAccounts;

/// <summary>
/// The bearer tokens of one service account, as kube-controller-manager's dynamic client builder gets them: the
/// account is created when missing, a token is requested through TokenRequest (serviceaccounts/NAME/token, one hour)
/// with the component's own client, and a new one is requested once 80% of its life has passed. A failed refresh
/// keeps the old token while it is still valid.
/// </summary>
public sealed partial class ServiceAccountTokenSource(KubeClient root, string ns, string name, TimeProvider time, ILogger logger) : IDisposable
{
    /// <summary>How long each token is asked for (kube's default for controller tokens).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private const double RefreshAfter = 0.8;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Issued? _current;

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _current) is { } fresh && time.GetUtcNow() < fresh.RefreshAt)
        {
            return fresh.Token;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var current = _current;
            if (current is not null && now < current.RefreshAt)
            {
                return current.Token;
            }

            try
            {
                current = await RequestAsync(now, cancellationToken);
                LogIssued(logger, ns, name, current.Expires);
            }
            catch (KubeApiException e) when (current is not null && now < current.Expires)
            {
                LogRefreshFailed(logger, ns, name, e.Message);
                current = current with { RefreshAt = now + TimeSpan.FromSeconds(10) };
            }

            Volatile.Write(ref _current, current);
            return current.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<Issued> RequestAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await root.GetAsync(ResourceRef.ServiceAccounts, ns, name, cancellationToken) is null)
        {
            try
            {
                await root.CreateAsync(ResourceRef.ServiceAccounts, ns, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "ServiceAccount",
                    ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
                }, cancellationToken);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
            }
        }

        var review = await root.CreateSubresourceAsync(ResourceRef.ServiceAccounts, ns, name, "token", new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenRequest",
            ["spec"] = new JsonObject { ["expirationSeconds"] = (long)Lifetime.TotalSeconds },
        }, cancellationToken);
        var token = review.GetString("status.token");
        if (string.IsNullOrEmpty(token))
        {
            throw new KubeApiException(System.Net.HttpStatusCode.InternalServerError, "InternalError", $"the TokenRequest for {ns}/{name} returned no token");
        }

        var expires = KubeTime.TryParse(review.GetString("status.expirationTimestamp"), out var at) ? at : now + Lifetime;
        return new Issued(token, now + ((expires - now) * RefreshAfter), expires);
    }

    private sealed record Issued(string Token, DateTimeOffset RefreshAt, DateTimeOffset Expires);

    [LoggerMessage(EventId = 7501, Level = LogLevel.Debug, Message = "got a token for service account {Namespace}/{Name}, valid until {Expires}")]
    private static partial void LogIssued(ILogger logger, string @namespace, string name, DateTimeOffset expires);

    [LoggerMessage(EventId = 7502, Level = LogLevel.Warning, Message = "could not refresh the token of service account {Namespace}/{Name} (keeping the current one): {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string @namespace, string name, string error);
}
