using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.ServiceAccounts;

/// <summary>
/// kube-controller-manager's serviceaccount controller: every active namespace has the ServiceAccount "default",
/// made again when it is deleted.
/// </summary>
public sealed class ServiceAccountController : Controller
{
    private const string DefaultName = "default";

    private readonly Informer _namespaces;

    public ServiceAccountController(ControllerContext context)
        : base("serviceaccount-controller", context)
    {
        _namespaces = Watch(ResourceRef.Namespaces, e => Queue.Add(e.Key));
        Watch(ResourceRef.ServiceAccounts, e =>
        {
            if (e.Type == InformerEventType.Deleted && e.Object.GetString("metadata.name") == DefaultName)
            {
                Queue.Add(e.Object.GetString("metadata.namespace")!);
            }
        });
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_namespaces.Get(key) is not { } ns || Owners.IsBeingDeleted(ns) || ns.GetString("status.phase") == "Terminating")
        {
            return;
        }

        if (Context.Informers.For(ResourceRef.ServiceAccounts).Get(key, DefaultName) is not null)
        {
            return;
        }

        try
        {
            await Client.CreateAsync(ResourceRef.ServiceAccounts, key, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ServiceAccount",
                ["metadata"] = new JsonObject { ["name"] = DefaultName, ["namespace"] = key },
            }, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
        }
        catch (KubeApiException e) when (e.Code == System.Net.HttpStatusCode.Forbidden && e.Status?.Find("details.causes") is JsonArray)
        {
            // The namespace started terminating after the informer saw it (NamespaceTerminating).
        }
    }
}
