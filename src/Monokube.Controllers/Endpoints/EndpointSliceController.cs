using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Endpoints;

/// <summary>
/// kube-controller-manager's endpointslice-controller: each Service with a selector has EndpointSlices (named
/// &lt;service&gt;-&lt;random&gt;, labelled kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by,
/// owned by the Service) listing its pods with an IP and their ready/serving/terminating conditions, one slice per
/// set of resolved ports and at most 100 endpoints each; slices no longer needed are deleted.
/// </summary>
public sealed class EndpointSliceController : Controller
{
    public const string ManagedBy = "endpointslice-controller.k8s.io";
    private const string ServiceNameLabel = "kubernetes.io/service-name";
    private const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";
    private const int MaxEndpointsPerSlice = 100;

    private readonly Informer _services;
    private readonly Informer _pods;
    private readonly Informer _slices;

    public EndpointSliceController(ControllerContext context)
        : base("endpointslice-controller", context)
    {
        _services = Watch(ResourceRef.Services, e => Queue.Add(e.Key));
        _pods = Watch(ResourceRef.Pods, e => EndpointsController.ServicesOf(_services, e).ForEach(Queue.Add));
        _slices = Watch(ResourceRef.EndpointSlices, e =>
        {
            if (e.Object.Find("metadata.labels") is JsonObject labels && labels[ManagedByLabel]?.ToString() == ManagedBy && labels[ServiceNameLabel]?.ToString() is { } service)
            {
                Queue.Add(e.Object.GetString("metadata.namespace") + "/" + service);
            }
        });
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var ns = key[..key.IndexOf('/', StringComparison.Ordinal)];
        var name = key[(ns.Length + 1)..];
        var existing = _slices.Items.Values
            .Where(s => s.GetString("metadata.namespace") == ns && s.Find("metadata.labels") is JsonObject l && l[ServiceNameLabel]?.ToString() == name && l[ManagedByLabel]?.ToString() == ManagedBy)
            .OrderBy(s => s.GetString("metadata.name"), StringComparer.Ordinal)
            .ToList();

        // Without the Service (or its selector) the slices go; the garbage collector would too, via the owner.
        if (_services.Get(key) is not { } service || !ServiceBackends.HasSelector(service))
        {
            foreach (var slice in existing)
            {
                await Client.DeleteAsync(ResourceRef.EndpointSlices, ns, slice.GetString("metadata.name")!, cancellationToken, uid: Owners.Uid(slice));
            }

            return;
        }

        var wanted = new List<(List<BackendPort> Ports, List<Backend> Endpoints)>();
        foreach (var group in ServiceBackends.For(service, _pods.Items.Values).GroupBy(b => b.PortsKey).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(b => b.Ip, StringComparer.Ordinal).ToList();
            for (var i = 0; i < ordered.Count; i += MaxEndpointsPerSlice)
            {
                wanted.Add(([.. group.First().Ports], ordered.Skip(i).Take(MaxEndpointsPerSlice).ToList()));
            }
        }

        // kube keeps one (empty) slice for a Service with no endpoints, so its ports are still published.
        if (wanted.Count == 0)
        {
            wanted.Add(([.. (service.Find("spec.ports") as JsonArray ?? []).OfType<JsonObject>().Where(p => p["targetPort"] is null or JsonValue).Select(p => new BackendPort(p.GetString("name"), TargetNumber(p), p.GetString("protocol") ?? "TCP"))], []));
        }

        var reusable = new Queue<JsonObject>(existing);
        foreach (var (ports, endpoints) in wanted)
        {
            var body = SliceBody(service, ports, endpoints);
            if (reusable.TryDequeue(out var slice))
            {
                if (JsonNode.DeepEquals(slice["endpoints"] ?? new JsonArray(), body["endpoints"]) && JsonNode.DeepEquals(slice["ports"] ?? new JsonArray(), body["ports"]) && JsonNode.DeepEquals(slice.Find("metadata.labels"), body.Find("metadata.labels")))
                {
                    continue;
                }

                var updated = slice.DeepClone().AsObject();
                updated["endpoints"] = body["endpoints"]!.DeepClone();
                updated["ports"] = body["ports"]!.DeepClone();
                updated.GetOrAddObject("metadata")["labels"] = body.Find("metadata.labels")!.DeepClone();
                await Client.UpdateAsync(ResourceRef.EndpointSlices, updated, cancellationToken);
                continue;
            }

            try
            {
                await Client.CreateAsync(ResourceRef.EndpointSlices, ns, body, cancellationToken);
            }
            catch (KubeApiException e) when (e.Code == System.Net.HttpStatusCode.Forbidden)
            {
                // The namespace is terminating.
            }
        }

        while (reusable.TryDequeue(out var extra))
        {
            await Client.DeleteAsync(ResourceRef.EndpointSlices, ns, extra.GetString("metadata.name")!, cancellationToken, uid: Owners.Uid(extra));
        }
    }

    private static long TargetNumber(JsonObject port) =>
        port["targetPort"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : port["port"] is JsonValue p && p.TryGetValue<long>(out var q) ? q : 0;

    private static JsonObject SliceBody(JsonObject service, List<BackendPort> ports, List<Backend> endpoints)
    {
        var labels = (service.Find("metadata.labels") as JsonObject)?.DeepClone().AsObject() ?? [];
        labels[ServiceNameLabel] = service.GetString("metadata.name");
        labels[ManagedByLabel] = ManagedBy;
        if (service.GetString("spec.clusterIP") == "None")
        {
            labels["service.kubernetes.io/headless"] = "";
        }

        var publishNotReady = service.Find("spec.publishNotReadyAddresses") is JsonValue p && p.GetValue<bool>();
        var items = new JsonArray();
        foreach (var backend in endpoints)
        {
            var endpoint = new JsonObject
            {
                ["addresses"] = new JsonArray((JsonNode)backend.Ip),
                ["conditions"] = new JsonObject
                {
                    ["ready"] = backend.Ready || publishNotReady,
                    ["serving"] = Workloads.PodConditions.IsReady(backend.Pod),
                    ["terminating"] = backend.Terminating,
                },
                ["targetRef"] = ServiceBackends.TargetRef(backend.Pod),
            };
            if (backend.Pod.GetString("spec.nodeName") is { } node)
            {
                endpoint["nodeName"] = node;
            }

            items.Add((JsonNode)endpoint);
        }

        return new JsonObject
        {
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["kind"] = "EndpointSlice",
            ["metadata"] = new JsonObject
            {
                ["generateName"] = service.GetString("metadata.name") + "-",
                ["namespace"] = service.GetString("metadata.namespace"),
                ["labels"] = labels,
                ["ownerReferences"] = new JsonArray((JsonNode)Owners.ControllerRef(service, "v1", "Service")),
            },
            ["addressType"] = "IPv4",
            ["endpoints"] = items,
            ["ports"] = new JsonArray([.. ports.Select(port =>
            {
                var obj = new JsonObject();
                if (!string.IsNullOrEmpty(port.Name))
                {
                    obj["name"] = port.Name;
                }

                obj["port"] = port.Port;
                obj["protocol"] = port.Protocol;
                return (JsonNode)obj;
            })]),
        };
    }
}
