using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.ServiceAccounts;

/// <summary>
/// kube-controller-manager's serviceaccount-token controller (--service-account-private-key-file): a Secret of type
/// kubernetes.io/service-account-token naming a service account (annotation kubernetes.io/service-account.name) gets
/// data.token (a legacy token signed with the key), data.ca.crt (the root CA bundle), data.namespace and the
/// account's uid annotation; a token Secret whose account is gone (or another account of the same name) is deleted,
/// and so are an account's token Secrets when the account is deleted.
/// </summary>
public sealed class TokensController : Controller
{
    public const string SecretType = "kubernetes.io/service-account-token";
    public const string NameAnnotation = "kubernetes.io/service-account.name";
    public const string UidAnnotation = "kubernetes.io/service-account.uid";

    private const string SecretPrefix = "secret/";
    private const string AccountPrefix = "serviceaccount/";

    private readonly Informer _accounts;
    private readonly Informer _secrets;
    private readonly byte[] _rootCa;

    public TokensController(ControllerContext context)
        : base("serviceaccount-token-controller", context)
    {
        _ = context.Options.ServiceAccountPrivateKey ?? throw new InvalidOperationException("the serviceaccount-token controller needs --service-account-private-key-file");
        _rootCa = context.Options.RootCaPem is { } pem ? Encoding.UTF8.GetBytes(pem) : [];
        _accounts = Watch(ResourceRef.ServiceAccounts, e =>
        {
            if (e.Type == InformerEventType.Deleted)
            {
                Queue.Add(AccountPrefix + e.Key);
            }
        });
        _secrets = Watch(ResourceRef.Secrets, e =>
        {
            if (e.Type != InformerEventType.Deleted)
            {
                Queue.Add(SecretPrefix + e.Key);
            }
        }, fieldSelector: "type=" + SecretType);
    }

    public override Task ReconcileAsync(string key, CancellationToken cancellationToken) =>
        key.StartsWith(AccountPrefix, StringComparison.Ordinal)
            ? SyncAccountAsync(key[AccountPrefix.Length..], cancellationToken)
            : SyncSecretAsync(key[SecretPrefix.Length..], cancellationToken);

    private async Task SyncAccountAsync(string key, CancellationToken cancellationToken)
    {
        if (_accounts.Get(key) is not null)
        {
            return;
        }

        var (ns, name) = Split(key);
        foreach (var secret in _secrets.Items.Values.Where(s => s.GetString("metadata.namespace") == ns && Annotation(s, NameAnnotation) == name))
        {
            await Client.DeleteAsync(ResourceRef.Secrets, ns, secret.GetString("metadata.name")!, cancellationToken, uid: secret.GetString("metadata.uid"));
        }
    }

    private async Task SyncSecretAsync(string key, CancellationToken cancellationToken)
    {
        if (_secrets.Get(key) is not { } cached)
        {
            return;
        }

        var (ns, name) = Split(key);
        var accountName = Annotation(cached, NameAnnotation) ?? "";
        var accountUid = Annotation(cached, UidAnnotation);
        var account = _accounts.Get(ns, accountName) ?? (accountName.Length == 0 ? null : await Client.GetAsync(ResourceRef.ServiceAccounts, ns, accountName, cancellationToken));
        if (account is null || (!string.IsNullOrEmpty(accountUid) && account.GetString("metadata.uid") != accountUid))
        {
            await Client.DeleteAsync(ResourceRef.Secrets, ns, name, cancellationToken, uid: cached.GetString("metadata.uid"));
            return;
        }

        if (!NeedsUpdate(cached))
        {
            return;
        }

        // The token goes into the live Secret, and only if the cache is current (a newer version comes back as an event).
        var live = await Client.GetAsync(ResourceRef.Secrets, ns, name, cancellationToken);
        if (live is null || live.GetString("metadata.resourceVersion") != cached.GetString("metadata.resourceVersion") || !NeedsUpdate(live))
        {
            return;
        }

        var data = live.GetOrAddObject("data");
        if (NeedsCa(live))
        {
            data["ca.crt"] = Convert.ToBase64String(_rootCa);
        }

        if (string.IsNullOrEmpty(data["namespace"]?.ToString()))
        {
            data["namespace"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ns));
        }

        if (string.IsNullOrEmpty(data["token"]?.ToString()))
        {
            var token = LegacyServiceAccountToken.Sign(Context.Options.ServiceAccountPrivateKey!, ns, accountName, account.GetString("metadata.uid") ?? "", name);
            data["token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(token));
        }

        var annotations = live.GetOrAddObject("metadata").GetOrAddObject("annotations");
        annotations[NameAnnotation] = accountName;
        annotations[UidAnnotation] = account.GetString("metadata.uid");
        await Client.UpdateAsync(ResourceRef.Secrets, live, cancellationToken);
    }

    private bool NeedsUpdate(JsonObject secret)
    {
        var data = secret.GetObject("data");
        return NeedsCa(secret) || string.IsNullOrEmpty(data?["namespace"]?.ToString()) || string.IsNullOrEmpty(data?["token"]?.ToString());
    }

    private bool NeedsCa(JsonObject secret) =>
        _rootCa.Length > 0 && secret.GetObject("data")?["ca.crt"]?.ToString() != Convert.ToBase64String(_rootCa);

    private static string? Annotation(JsonObject obj, string name) => (obj.Find("metadata.annotations") as JsonObject)?[name]?.ToString();

    private static (string Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (key[..slash], key[(slash + 1)..]);
    }
}
