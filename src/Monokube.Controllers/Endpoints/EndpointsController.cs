using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Endpoints;

/// <summary>
/// kube-controller-manager's endpoints-controller: each Service with a selector has an Endpoints object of its name
/// listing the matching pods with an IP (ready ones as addresses, others as notReadyAddresses, terminating ones
/// left out), grouped into subsets by their resolved ports; removed with the Service. Services without a selector
/// keep the Endpoints their owners write.
/// </summary>
public sealed class EndpointsController : Controller
{
    private const string TriggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time";

    private readonly Informer _services;
    private readonly Informer _pods;
    private readonly Informer _endpoints;

    public EndpointsController(ControllerContext context)
        : base("endpoints-controller", context)
    {
        _services = Watch(ResourceRef.Services, e => Queue.Add(e.Key));
        _pods = Watch(ResourceRef.Pods, e => ServicesOf(_services, e).ForEach(Queue.Add));
        _endpoints = Watch(ResourceRef.Endpoints, e =>
        {
            if (e.Type == InformerEventType.Deleted)
            {
                Queue.Add(e.Key);
            }
        });
    }

    /// <summary>The keys of the Services whose selectors match a pod now or did before the change.</summary>
    internal static List<string> ServicesOf(Informer services, InformerEvent e)
    {
        var ns = e.Object.GetString("metadata.namespace");
        var keys = new List<string>();
        foreach (var (key, service) in services.Items)
        {
            if (service.GetString("metadata.namespace") == ns && (ServiceBackends.Selects(service, e.Object) || e.Old is not null && ServiceBackends.Selects(service, e.Old)))
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var existing = _endpoints.Get(key);
        if (_services.Get(key) is not { } service)
        {
            // The Service is gone: so are the Endpoints this controller made for it (marked, as kube marks them, with
            // the last-change-trigger-time annotation; Endpoints written by hand for a Service to come are kept).
            if (existing is not null && existing.Find("metadata.annotations") is JsonObject marks && marks[TriggerTimeAnnotation] is not null && existing.GetString("metadata.namespace") is { } gone)
            {
                await Client.DeleteAsync(ResourceRef.Endpoints, gone, existing.GetString("metadata.name")!, cancellationToken, uid: Owners.Uid(existing));
            }

            return;
        }

        if (!ServiceBackends.HasSelector(service))
        {
            return;
        }

        var ns = service.GetString("metadata.namespace")!;
        var backends = ServiceBackends.For(service, _pods.Items.Values).Where(b => !b.Terminating).ToList();
        var subsets = new JsonArray();
        foreach (var group in backends.Where(b => b.Ports.Count > 0 || (service.Find("spec.ports") as JsonArray ?? []).Count == 0).GroupBy(b => b.PortsKey).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var subset = new JsonObject();
            var ready = group.Where(b => b.Ready || service.Find("spec.publishNotReadyAddresses") is JsonValue p && p.GetValue<bool>()).OrderBy(b => b.Ip, StringComparer.Ordinal).ToList();
            var notReady = group.Except(ready).OrderBy(b => b.Ip, StringComparer.Ordinal).ToList();
            if (ready.Count > 0)
            {
                subset["addresses"] = new JsonArray([.. ready.Select(Address)]);
            }

            if (notReady.Count > 0)
            {
                subset["notReadyAddresses"] = new JsonArray([.. notReady.Select(Address)]);
            }

            if (group.First().Ports.Count > 0)
            {
                subset["ports"] = new JsonArray([.. group.First().Ports.Select(p => (JsonNode)PortObject(p))]);
            }

            subsets.Add((JsonNode)subset);
        }

        var labels = (service.Find("metadata.labels") as JsonObject)?.DeepClone().AsObject() ?? [];
        if (service.GetString("spec.clusterIP") == "None")
        {
            labels["service.kubernetes.io/headless"] = "";
        }

        if (existing is null)
        {
            var created = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Endpoints",
                ["metadata"] = new JsonObject
                {
                    ["name"] = service.GetString("metadata.name"),
                    ["namespace"] = ns,
                    ["labels"] = labels,
                    ["annotations"] = new JsonObject { [TriggerTimeAnnotation] = KubeTime.Format(Context.Time.GetUtcNow()) },
                },
            };
            if (subsets.Count > 0)
            {
                created["subsets"] = subsets;
            }

            try
            {
                await Client.CreateAsync(ResourceRef.Endpoints, ns, created, cancellationToken);
            }
            catch (KubeApiException e) when (e.Code == System.Net.HttpStatusCode.Forbidden)
            {
                // The namespace is terminating. (Made meanwhile, AlreadyExists, goes back to the queue with backoff, as
                // in kube: the cache has not seen it yet, and what it holds may be older than what we computed.)
            }

            return;
        }

        var current = existing["subsets"] as JsonArray ?? [];
        var currentLabels = existing.Find("metadata.labels") as JsonObject ?? [];
        if (JsonNode.DeepEquals(current, subsets) && JsonNode.DeepEquals(currentLabels, labels))
        {
            return;
        }

        var updated = existing.DeepClone().AsObject();
        updated.GetOrAddObject("metadata")["labels"] = labels;
        updated.GetOrAddObject("metadata").GetOrAddObject("annotations")[TriggerTimeAnnotation] = KubeTime.Format(Context.Time.GetUtcNow());
        if (subsets.Count > 0)
        {
            updated["subsets"] = subsets;
        }
        else
        {
            updated.Remove("subsets");
        }

        await Client.UpdateAsync(ResourceRef.Endpoints, updated, cancellationToken);
    }

    private static JsonNode Address(Backend backend)
    {
        var address = new JsonObject { ["ip"] = backend.Ip };
        if (backend.Pod.GetString("spec.nodeName") is { } node)
        {
            address["nodeName"] = node;
        }

        address["targetRef"] = ServiceBackends.TargetRef(backend.Pod);
        return address;
    }

    private static JsonObject PortObject(BackendPort port)
    {
        var obj = new JsonObject();
        if (!string.IsNullOrEmpty(port.Name))
        {
            obj["name"] = port.Name;
        }

        obj["port"] = port.Port;
        obj["protocol"] = port.Protocol;
        return obj;
    }
}
