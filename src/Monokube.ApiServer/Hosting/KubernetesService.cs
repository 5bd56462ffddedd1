using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Handlers;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Hosting;

/// <summary>
/// As kube-apiserver's bootstrap controller: the Service default/kubernetes (the first address of the service range,
/// port 443 named https, to the secure port) and its Endpoints and EndpointSlice naming this server's advertised
/// address, made at start and again whenever they are missing. Existing endpoints are left alone, so while the
/// pivot's managed kube-apiserver shares the etcd, the one that writes them first is the one they name.
/// </summary>
public static class KubernetesService
{
    private const string Namespace = "default";
    private const string Name = "kubernetes";

    /// <summary>
    /// The address the kubernetes Service's endpoints name: --advertise-address, else a routable bind address, else
    /// the host's first non-loopback IPv4 address (as kube-apiserver chooses); null when there is none.
    /// </summary>
    public static IPAddress? EndpointAddress(string? advertise, IPAddress bind)
    {
        if (!string.IsNullOrEmpty(advertise) && IPAddress.TryParse(advertise, out var advertised))
        {
            return advertised;
        }

        if (!IPAddress.IsLoopback(bind) && !bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any))
        {
            return bind;
        }

        return NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a) && !a.ToString().StartsWith("169.254.", StringComparison.Ordinal));
    }

    public static async Task EnsureAsync(ApiContext api, IPAddress? endpoint, int port, CancellationToken cancellationToken)
    {
        await EnsureServiceAsync(api, port, cancellationToken);
        if (endpoint is null)
        {
            return;
        }

        var now = KubeTime.Format(api.Time.GetUtcNow());
        var endpoints = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Endpoints",
            ["metadata"] = Metadata(now, new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" }),
            ["subsets"] = new JsonArray((JsonNode)new JsonObject
            {
                ["addresses"] = new JsonArray((JsonNode)new JsonObject { ["ip"] = endpoint.ToString() }),
                ["ports"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "https", ["port"] = port, ["protocol"] = "TCP" }),
            }),
        };
        await CreateIfMissingAsync(api, "", "v1", "endpoints", endpoints, cancellationToken);

        var slice = new JsonObject
        {
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["kind"] = "EndpointSlice",
            ["metadata"] = Metadata(now, new JsonObject { ["kubernetes.io/service-name"] = Name }),
            ["addressType"] = endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4",
            ["endpoints"] = new JsonArray((JsonNode)new JsonObject
            {
                ["addresses"] = new JsonArray((JsonNode)endpoint.ToString()),
                ["conditions"] = new JsonObject { ["ready"] = true },
            }),
            ["ports"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "https", ["port"] = port, ["protocol"] = "TCP" }),
        };
        await CreateIfMissingAsync(api, "discovery.k8s.io", "v1", "endpointslices", slice, cancellationToken);
    }

    private static async Task EnsureServiceAsync(ApiContext api, int port, CancellationToken cancellationToken)
    {
        var resource = api.Registry.Find("", "v1", "services")!;
        if ((await api.Store.GetAsync(resource.Key(Namespace, Name), cancellationToken)).IsOk)
        {
            return;
        }

        var ip = api.ClusterIps.Range.At(1).ToString();
        try
        {
            await api.ClusterIps.AllocateAsync(ip, Namespace, Name, dryRun: false, cancellationToken);
        }
        catch (ApiException)
        {
            // Reserved already: by an earlier start that did not get to store the Service, or by the managed
            // kube-apiserver sharing this etcd, which makes the Service itself.
        }

        var service = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = Metadata(KubeTime.Format(api.Time.GetUtcNow()), new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" }),
            ["spec"] = new JsonObject
            {
                ["clusterIP"] = ip,
                ["clusterIPs"] = new JsonArray((JsonNode)ip),
                ["ports"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = port }),
                ["sessionAffinity"] = "None",
                ["type"] = "ClusterIP",
                ["ipFamilies"] = new JsonArray((JsonNode)"IPv4"),
                ["ipFamilyPolicy"] = "SingleStack",
                ["internalTrafficPolicy"] = "Cluster",
            },
            ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() },
        };
        resource.Strategy.PrepareForCreate(api.Strategy, resource, service);
        await api.Store.CreateAsync(resource.Key(Namespace, Name), JsonOutput.ToBytes(service), cancellationToken);
    }

    private static async Task CreateIfMissingAsync(ApiContext api, string group, string version, string plural, JsonObject obj, CancellationToken cancellationToken)
    {
        var resource = api.Registry.Find(group, version, plural)!;
        var key = resource.Key(Namespace, Name);
        if ((await api.Store.GetAsync(key, cancellationToken)).IsOk)
        {
            return;
        }

        resource.Strategy.PrepareForCreate(api.Strategy, resource, obj);
        await api.Store.CreateAsync(key, JsonOutput.ToBytes(obj), cancellationToken);
    }

    private static JsonObject Metadata(string now, JsonObject labels) => new()
    {
        ["name"] = Name,
        ["namespace"] = Namespace,
        ["uid"] = Guid.NewGuid().ToString(),
        ["creationTimestamp"] = now,
        ["labels"] = labels,
    };
}
