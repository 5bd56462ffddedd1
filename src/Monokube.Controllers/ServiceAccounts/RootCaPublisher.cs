using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.ServiceAccounts;

/// <summary>
/// kube-controller-manager's root-ca-certificate-publisher: the ConfigMap kube-root-ca.crt (key ca.crt, the CA
/// bundle that verifies the apiserver) in every active namespace, put back when deleted or changed.
/// </summary>
public sealed class RootCaPublisher : Controller
{
    public const string ConfigMapName = "kube-root-ca.crt";

    private const string DescriptionAnnotation = "kubernetes.io/description";

    private const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    private readonly Informer _namespaces;
    private readonly Informer _configMaps;
    private readonly string _bundle;

    public RootCaPublisher(ControllerContext context)
        : base("root-ca-certificate-publisher-controller", context)
    {
        _bundle = context.Options.RootCaPem ?? throw new InvalidOperationException("the root-ca-certificate-publisher needs the root CA bundle");
        _namespaces = Watch(ResourceRef.Namespaces, e => Queue.Add(e.Key));
        _configMaps = Watch(ResourceRef.ConfigMaps, e => Queue.Add(e.Object.GetString("metadata.namespace")!), fieldSelector: "metadata.name=" + ConfigMapName);
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_namespaces.Get(key) is not { } ns || Owners.IsBeingDeleted(ns) || ns.GetString("status.phase") == "Terminating")
        {
            return;
        }

        var existing = _configMaps.Get(key, ConfigMapName);
        if (existing is null)
        {
            try
            {
                await Client.CreateAsync(ResourceRef.ConfigMaps, key, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "ConfigMap",
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = ConfigMapName,
                        ["namespace"] = key,
                        ["annotations"] = new JsonObject { [DescriptionAnnotation] = Description },
                    },
                    ["data"] = new JsonObject { ["ca.crt"] = _bundle },
                }, cancellationToken);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists || e.Code == System.Net.HttpStatusCode.Forbidden)
            {
                // Made meanwhile, or the namespace started terminating.
            }

            return;
        }

        // As kube: rewritten when the data is not exactly the bundle or the description is missing.
        var data = existing["data"] as JsonObject;
        var current = data is { Count: 1 } && data["ca.crt"]?.ToString() == _bundle;
        if (current && existing.Find("metadata.annotations") is JsonObject annotated && !string.IsNullOrEmpty(annotated[DescriptionAnnotation]?.ToString()))
        {
            return;
        }

        var updated = existing.DeepClone().AsObject();
        updated["data"] = new JsonObject { ["ca.crt"] = _bundle };
        var annotations = updated.GetOrAddObject("metadata").GetOrAddObject("annotations");
        annotations[DescriptionAnnotation] = Description;
        await Client.UpdateAsync(ResourceRef.ConfigMaps, updated, cancellationToken);
    }
}
