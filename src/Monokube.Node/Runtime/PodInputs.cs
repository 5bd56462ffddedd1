using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Node.Runtime;

/// <summary>
/// What a pod's containers are made of besides their spec: the ConfigMaps and Secrets they reference (read through
/// the API, as the node may read those of its pods), service-account tokens (TokenRequest bound to the pod), and the
/// downward API's field values.
/// </summary>
internal sealed class PodInputs(KubeClient? client, JsonObject pod, string hostIp, string podIp)
{
    private readonly Dictionary<string, JsonObject?> _objects = new(StringComparer.Ordinal);

    public JsonObject Pod => pod;

    // Static pods may not use API objects, as the kubelet refuses them; without an API there are none to read.
    private KubeClient Api => client ?? throw new ContainerConfigException("a static pod may not reference ConfigMaps, Secrets or service-account tokens");

    private string? Namespace => pod.GetString("metadata.namespace");

    /// <summary>The keys of a ConfigMap (data and binaryData) or Secret; null when it does not exist.</summary>
    public async Task<IReadOnlyDictionary<string, byte[]>?> ReadAsync(bool secret, string name, CancellationToken cancellationToken)
    {
        var key = (secret ? "secret/" : "configmap/") + name;
        if (!_objects.TryGetValue(key, out var obj))
        {
            obj = await Api.GetAsync(secret ? ResourceRef.Secrets : ResourceRef.ConfigMaps, Namespace, name, cancellationToken);
            _objects[key] = obj;
        }

        if (obj is null)
        {
            return null;
        }

        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (k, v) in obj["data"] as JsonObject ?? [])
        {
            values[k] = secret ? Convert.FromBase64String(v?.ToString() ?? "") : Encoding.UTF8.GetBytes(v?.ToString() ?? "");
        }

        foreach (var (k, v) in obj["binaryData"] as JsonObject ?? [])
        {
            values[k] = Convert.FromBase64String(v?.ToString() ?? "");
        }

        return values;
    }

    /// <summary>The keys, or a configuration error in the kubelet's words when the object is missing and not optional.</summary>
    public async Task<IReadOnlyDictionary<string, byte[]>> RequireAsync(bool secret, string name, bool optional, CancellationToken cancellationToken) =>
        await ReadAsync(secret, name, cancellationToken)
        ?? (optional ? new Dictionary<string, byte[]>() : throw new ContainerConfigException($"{(secret ? "secret" : "configmap")} \"{name}\" not found"));

    public async Task<string> TokenAsync(string? audience, long expirationSeconds, CancellationToken cancellationToken)
    {
        var account = pod.GetString("spec.serviceAccountName") ?? "default";
        var spec = new JsonObject
        {
            ["expirationSeconds"] = expirationSeconds,
            ["boundObjectRef"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["name"] = pod.GetString("metadata.name"), ["uid"] = pod.GetString("metadata.uid") },
        };
        if (audience is { Length: > 0 })
        {
            spec["audiences"] = new JsonArray((JsonNode)audience);
        }

        var review = await Api.CreateSubresourceAsync(ResourceRef.ServiceAccounts, Namespace, account, "token", new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenRequest",
            ["spec"] = spec,
        }, cancellationToken);
        return review.GetString("status.token") ?? throw new ContainerConfigException($"no token was issued for service account \"{account}\"");
    }

    /// <summary>A downward-API field (fieldRef.fieldPath), as the kubelet gives it to env and volumes.</summary>
    public string Field(string path)
    {
        var labels = pod.Find("metadata.labels") as JsonObject ?? [];
        var annotations = pod.Find("metadata.annotations") as JsonObject ?? [];
        return path switch
        {
            "metadata.name" => pod.GetString("metadata.name") ?? "",
            "metadata.namespace" => Namespace ?? "",
            "metadata.uid" => pod.GetString("metadata.uid") ?? "",
            "metadata.labels" => Lines(labels),
            "metadata.annotations" => Lines(annotations),
            "spec.nodeName" => pod.GetString("spec.nodeName") ?? "",
            "spec.serviceAccountName" => pod.GetString("spec.serviceAccountName") ?? "",
            "status.hostIP" or "status.hostIPs" => hostIp,
            "status.podIP" or "status.podIPs" => podIp,
            _ when Subscript(path, "metadata.labels") is { } label => labels[label]?.ToString() ?? "",
            _ when Subscript(path, "metadata.annotations") is { } annotation => annotations[annotation]?.ToString() ?? "",
            _ => throw new ContainerConfigException($"unsupported fieldPath \"{path}\""),
        };
    }

    private static string? Subscript(string path, string map) =>
        path.StartsWith(map + "['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal) ? path[(map.Length + 2)..^2] : null;

    private static string Lines(JsonObject map) =>
        string.Join("\n", map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}=\"{kv.Value}\""));
}
