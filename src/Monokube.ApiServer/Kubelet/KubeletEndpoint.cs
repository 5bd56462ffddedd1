using System.Globalization;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Kubelet;

/// <summary>
/// Where a node's kubelet listens, from its status as kube-apiserver reads it: the first address of the preferred
/// types (a Hostname request falls back to the kubernetes.io/hostname label), and status.daemonEndpoints'
/// kubelet port.
/// </summary>
public sealed record KubeletEndpoint(string Host, int Port)
{
    /// <summary>The endpoint, or null with kube's message when the node has no address of a preferred type.</summary>
    public static (KubeletEndpoint? Endpoint, string? Error) Of(JsonObject node, KubeletClientOptions options)
    {
        var addresses = (node.Find("status.addresses") as JsonArray ?? []).OfType<JsonObject>().ToList();
        var reported = (node.Find("status.daemonEndpoints.kubeletEndpoint") as JsonObject)?.GetLong("Port") ?? 0;
        var port = reported is > 0 and <= 65535 ? (int)reported : options.DefaultPort;
        foreach (var type in options.PreferredAddressTypes)
        {
            if (addresses.FirstOrDefault(a => a.GetString("type") == type)?.GetString("address") is { Length: > 0 } address)
            {
                return (new KubeletEndpoint(address, port), null);
            }

            if (type == "Hostname" && node.Find("metadata.labels") is JsonObject labels && labels["kubernetes.io/hostname"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
                && labels["kubernetes.io/hostname"]!.GetValue<string>() is { Length: > 0 } hostname)
            {
                return (new KubeletEndpoint(hostname, port), null);
            }
        }

        var known = string.Join(" ", addresses.Select(a => "{" + a.GetString("type") + " " + a.GetString("address") + "}"));
        return (null, $"no preferred addresses found; known addresses: [{known}]");
    }

    /// <summary>https://host:port/path?query, with an IPv6 host in brackets.</summary>
    public Uri Url(string path, string query)
    {
        var host = Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host;
        return new Uri($"https://{host}:{Port.ToString(CultureInfo.InvariantCulture)}{path}{(query.Length > 0 ? "?" + query : "")}");
    }
}
