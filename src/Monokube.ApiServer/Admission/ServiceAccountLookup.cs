using Monokube.ApiServer.Api;
using Monokube.ApiServer.Registry;
using Monokube.Storage;

namespace Monokube.ApiServer.Admission;

/// <summary>
/// kube's ServiceAccount admission requires a pod's service account to exist (mirror pods name none). As kube, the
/// default account is looked for a few times over a second or two, since the serviceaccount controller creates it just
/// after its namespace; a missing one refuses the pod with kube's 403.
/// </summary>
public static class ServiceAccountLookup
{
    private const int DefaultAccountAttempts = 10;

    public static async Task RequireAsync(IObjectStore store, TimeProvider time, ResourceDefinition pods, string ns, string podName, string account, CancellationToken cancellationToken)
    {
        var attempts = account == "default" ? DefaultAccountAttempts : 1;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            if (attempt > 0)
            {
                // 10 ms doubling to 400 ms: about 1.8 s in all, as kube's ten tries of 100-200 ms, but an account
                // created a moment after its namespace is found at once.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10 << (attempt - 1), 400)), time, cancellationToken);
            }

            if ((await store.GetAsync($"/serviceaccounts/{ns}/{account}", cancellationToken)).IsOk)
            {
                return;
            }
        }

        throw new ApiException(Statuses.Forbidden(pods, podName, $"error looking up service account {ns}/{account}: serviceaccount \"{account}\" not found"));
    }
}
