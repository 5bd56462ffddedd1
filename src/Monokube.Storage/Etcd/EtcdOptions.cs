namespace Monokube.Storage.Etcd;

public sealed class EtcdOptions
{
    /// <summary>Client URLs of the etcd members (http:// or https://), as kube-apiserver's --etcd-servers.</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>The key prefix, as kube-apiserver's --etcd-prefix.</summary>
    public string Prefix { get; init; } = "/registry";

    /// <summary>PEM CA bundle that signs the etcd members' serving certificates (--etcd-cafile).</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate and key for etcd (--etcd-certfile, --etcd-keyfile).</summary>
    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>How long one request may wait for a reachable member and its answer before the store reports it unavailable.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public int MaxValueBytes { get; init; } = StoreLimits.DefaultMaxValueBytes;

    /// <summary>Events a watcher may have queued and not yet read before it is ended with an expired event.</summary>
    public int WatchBacklogLimit { get; init; } = 100_000;

    /// <summary>Parses kube-apiserver's comma-separated --etcd-servers value.</summary>
    public static IReadOnlyList<Uri> ParseEndpoints(string servers)
    {
        var endpoints = new List<Uri>();
        foreach (var part in servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var text = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.IsDefaultPort && !part.Contains(':', StringComparison.Ordinal))
            {
                throw new FormatException($"invalid etcd server URL \"{part}\": expected http(s)://host:port");
            }

            endpoints.Add(uri);
        }

        if (endpoints.Count == 0)
        {
            throw new FormatException("no etcd servers given");
        }

        if (endpoints.Select(e => e.Scheme).Distinct().Count() > 1)
        {
            throw new FormatException("etcd servers must all use http or all use https");
        }

        return endpoints;
    }
}
