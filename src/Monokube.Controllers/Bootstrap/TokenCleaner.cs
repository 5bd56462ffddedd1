using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Bootstrap;

/// <summary>
/// kube-controller-manager's token-cleaner (off unless named in --controllers): a bootstrap token Secret in
/// kube-system is deleted once its expiration has passed (by this controller's clock), looked at again when it is
/// due; a Secret replaced meanwhile (another uid) is left alone.
/// </summary>
public sealed class TokenCleaner : Controller
{
    private readonly Informer _secrets;

    public TokenCleaner(ControllerContext context)
        : base("token-cleaner-controller", context)
    {
        _secrets = Watch(ResourceRef.Secrets, e =>
        {
            if (e.Type != InformerEventType.Deleted && e.Object.GetString("metadata.namespace") == BootstrapToken.Namespace)
            {
                Queue.Add(e.Key);
            }
        }, fieldSelector: "type=" + BootstrapToken.SecretType);
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_secrets.Get(key) is not { } secret)
        {
            return;
        }

        var left = BootstrapToken.FromSecret(secret).TimeLeft(Context.Time.GetUtcNow());
        if (left is null)
        {
            return;
        }

        if (left > TimeSpan.Zero)
        {
            Queue.AddAfter(key, left.Value);
            return;
        }

        try
        {
            await Client.DeleteAsync(ResourceRef.Secrets, BootstrapToken.Namespace, secret.GetString("metadata.name")!, cancellationToken, uid: secret.GetString("metadata.uid"));
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            // The uid precondition failed: a new Secret of that name is not the one that expired.
        }
    }
}
