using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Handlers;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Hosting;

/// <summary>
/// What kube-apiserver publishes about itself for the other components, kept in place every 10 s: the ConfigMap
/// kube-system/extension-apiserver-authentication (the client CA and the request-header settings, which
/// kube-controller-manager and kube-scheduler read for delegated authentication) and its identity Lease
/// kube-system/kube-apiserver-&lt;hash of the host name&gt; (label k8s.io/component=kube-apiserver, renewed, held for an
/// hour).
/// </summary>
public sealed class ClusterInfoPublisher(ApiContext api, JsonObject? authenticationData, bool identityLease)
{
    private const string Namespace = "kube-system";
    private const string AuthenticationName = "extension-apiserver-authentication";

    private readonly string _leaseName = LeaseName(Environment.MachineName);
    private readonly string _holder = LeaseName(Environment.MachineName) + "_" + Guid.NewGuid();

    /// <summary>kube-apiserver's identity Lease name: "kube-apiserver-" and the lower-case base32 of the first 16 bytes of SHA-256(host name).</summary>
    public static string LeaseName(string hostName)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(hostName));
        return "kube-apiserver-" + Base32(hash.AsSpan(0, 16)).ToLowerInvariant();
    }

    /// <summary>The ConfigMap's data for these security settings (null when nothing authenticates clients by certificate).</summary>
    public static JsonObject? AuthenticationData(Security.SecurityOptions options, string? generatedCaPem)
    {
        var clientCa = options.ClientCaFile is { } file ? File.ReadAllText(file) : generatedCaPem;
        if (clientCa is null)
        {
            return null;
        }

        var data = new JsonObject { ["client-ca-file"] = clientCa };
        var requestHeader = options.RequestHeader;
        if (requestHeader.ClientCaFile is { } proxyCa)
        {
            data["requestheader-allowed-names"] = JsonList(requestHeader.AllowedNames);
            data["requestheader-client-ca-file"] = File.ReadAllText(proxyCa);
            data["requestheader-extra-headers-prefix"] = JsonList(requestHeader.ExtraHeaderPrefixes);
            data["requestheader-group-headers"] = JsonList(requestHeader.GroupHeaders);
            data["requestheader-username-headers"] = JsonList(requestHeader.UsernameHeaders);
        }

        return data;
    }

    public async Task PublishAsync(CancellationToken cancellationToken)
    {
        if (authenticationData is not null)
        {
            await EnsureAuthenticationAsync(cancellationToken);
        }

        if (identityLease)
        {
            await RenewLeaseAsync(cancellationToken);
        }
    }

    private async Task EnsureAuthenticationAsync(CancellationToken cancellationToken)
    {
        var resource = api.Registry.Find("", "v1", "configmaps")!;
        var key = resource.Key(Namespace, AuthenticationName);
        var stored = await api.Store.GetAsync(key, cancellationToken);
        if (!stored.IsOk)
        {
            var created = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = Metadata(AuthenticationName),
                ["data"] = authenticationData!.DeepClone(),
            };
            await api.Store.CreateAsync(key, JsonOutput.ToBytes(created), cancellationToken);
            return;
        }

        var current = ObjectWriter.Parse(stored.Object!.Value);
        if (!JsonNode.DeepEquals(current["data"], authenticationData))
        {
            current["data"] = authenticationData!.DeepClone();
            await api.Store.UpdateAsync(key, JsonOutput.ToBytes(current), new Preconditions(stored.Object.ModRevision), cancellationToken);
        }
    }

    private async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        var resource = api.Registry.Find("coordination.k8s.io", "v1", "leases")!;
        var key = resource.Key(Namespace, _leaseName);
        var now = KubeTime.FormatMicro(api.Time.GetUtcNow());
        var stored = await api.Store.GetAsync(key, cancellationToken);
        if (!stored.IsOk)
        {
            var metadata = Metadata(_leaseName);
            metadata["labels"] = new JsonObject { ["k8s.io/component"] = "kube-apiserver", ["kubernetes.io/hostname"] = Environment.MachineName };
            var lease = new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1",
                ["kind"] = "Lease",
                ["metadata"] = metadata,
                ["spec"] = new JsonObject { ["holderIdentity"] = _holder, ["leaseDurationSeconds"] = 3600, ["renewTime"] = now },
            };
            await api.Store.CreateAsync(key, JsonOutput.ToBytes(lease), cancellationToken);
            return;
        }

        var current = ObjectWriter.Parse(stored.Object!.Value);
        var spec = current.GetOrAddObject("spec");
        spec["holderIdentity"] = _holder;
        spec["leaseDurationSeconds"] = 3600;
        spec["renewTime"] = now;
        await api.Store.UpdateAsync(key, JsonOutput.ToBytes(current), new Preconditions(stored.Object.ModRevision), cancellationToken);
    }

    private JsonObject Metadata(string name) => new()
    {
        ["name"] = name,
        ["namespace"] = Namespace,
        ["uid"] = Guid.NewGuid().ToString(),
        ["creationTimestamp"] = KubeTime.Format(api.Time.GetUtcNow()),
    };

    // kube writes these settings as JSON lists inside the ConfigMap's strings.
    private static string JsonList(IEnumerable<string> values) => new JsonArray([.. values.Select(v => (JsonNode)v)]).ToJsonString();

    private static string Base32(ReadOnlySpan<byte> bytes)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var text = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }
}
