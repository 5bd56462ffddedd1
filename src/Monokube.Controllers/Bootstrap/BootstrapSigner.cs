using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Bootstrap;

/// <summary>
/// kube-controller-manager's bootstrap-signer (off unless named in --controllers): the ConfigMap kube-public/cluster-info
/// carries, for every bootstrap token that may sign (usage-bootstrap-signing, not expired), a key
/// jws-kubeconfig-&lt;token id&gt; with the detached JWS of its kubeconfig, so a joining node can check the
/// cluster-info it read with the token it was given; signatures of tokens that are gone or may no longer sign are
/// removed. Looked at again when a signing token expires.
/// </summary>
public sealed class BootstrapSigner : Controller
{
    public const string ConfigMapNamespace = "kube-public";
    public const string ConfigMapName = "cluster-info";
    public const string KubeconfigKey = "kubeconfig";
    public const string SignaturePrefix = "jws-kubeconfig-";

    private const string Key = ConfigMapNamespace + "/" + ConfigMapName;

    private readonly Informer _configMaps;
    private readonly Informer _secrets;

    public BootstrapSigner(ControllerContext context)
        : base("bootstrap-signer-controller", context)
    {
        _configMaps = Watch(ResourceRef.ConfigMaps, e =>
        {
            if (e.Key == Key && e.Type != InformerEventType.Deleted)
            {
                Queue.Add(Key);
            }
        }, fieldSelector: "metadata.name=" + ConfigMapName);
        _secrets = Watch(ResourceRef.Secrets, e =>
        {
            if (e.Object.GetString("metadata.namespace") == BootstrapToken.Namespace)
            {
                Queue.Add(Key);
            }
        }, fieldSelector: "type=" + BootstrapToken.SecretType);
    }

    // One ConfigMap is all there is to do: one worker.
    protected override int Workers => 1;

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_configMaps.Get(Key) is not { } configMap || configMap.GetObject("data") is not { } data || data[KubeconfigKey]?.ToString() is not { } kubeconfig)
        {
            return;
        }

        var now = Context.Time.GetUtcNow();
        var wanted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        TimeSpan? nextExpiry = null;
        foreach (var secret in _secrets.Items.Values.Where(s => s.GetString("metadata.namespace") == BootstrapToken.Namespace))
        {
            var token = BootstrapToken.FromSecret(secret);
            if (!token.CanSign(secret.GetString("metadata.name") ?? "", now))
            {
                continue;
            }

            wanted[SignaturePrefix + token.Id] = DetachedJws.Sign(kubeconfig, token.Id, token.Secret);
            if (token.TimeLeft(now) is { } left && (nextExpiry is null || left < nextExpiry))
            {
                nextExpiry = left;
            }
        }

        if (nextExpiry is { } due)
        {
            Queue.AddAfter(Key, due);
        }

        var current = data.Where(p => p.Key.StartsWith(SignaturePrefix, StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value?.ToString(), StringComparer.Ordinal);
        if (current.Count == wanted.Count && wanted.All(w => current.TryGetValue(w.Key, out var v) && v == w.Value))
        {
            return;
        }

        var updated = configMap.DeepClone().AsObject();
        var newData = updated.GetOrAddObject("data");
        foreach (var stale in current.Keys)
        {
            newData.Remove(stale);
        }

        foreach (var (name, signature) in wanted)
        {
            newData[name] = signature;
        }

        await Client.UpdateAsync(ResourceRef.ConfigMaps, updated, cancellationToken);
    }
}
