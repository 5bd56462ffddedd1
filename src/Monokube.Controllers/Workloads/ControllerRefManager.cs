using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Workloads;

/// <summary>
/// kube's ControllerRefManager: of the objects in an owner's namespace, the ones it controls, after adopting
/// matching orphans and releasing objects it controls that no longer match its selector (patches of the owner
/// references, guarded by the object's uid).
/// </summary>
public sealed class ControllerRefManager(KubeClient client, ResourceRef resource, JsonObject owner, string ownerApiVersion, string ownerKind, LabelSelector selector)
{
    private const string PatchType = "application/strategic-merge-patch+json";

    public async Task<List<JsonObject>> ClaimAsync(IEnumerable<JsonObject> candidates, CancellationToken cancellationToken)
    {
        var ns = owner.GetString("metadata.namespace");
        var uid = Owners.Uid(owner);
        var claimed = new List<JsonObject>();
        foreach (var obj in candidates)
        {
            if (obj.GetString("metadata.namespace") != ns)
            {
                continue;
            }

            var matches = selector.Matches(obj.Find("metadata.labels") as JsonObject);
            if (Owners.ControllerOf(obj) is { } reference)
            {
                if (reference.GetString("uid") != uid)
                {
                    continue;
                }

                if (matches)
                {
                    claimed.Add(obj);
                }
                else if (!Owners.IsBeingDeleted(owner))
                {
                    await PatchAsync(obj, new JsonObject { ["$patch"] = "delete", ["uid"] = uid }, cancellationToken);
                }

                continue;
            }

            if (matches && !Owners.IsBeingDeleted(owner) && !Owners.IsBeingDeleted(obj)
                && await PatchAsync(obj, Owners.ControllerRef(owner, ownerApiVersion, ownerKind), cancellationToken) is { } adopted)
            {
                claimed.Add(adopted);
            }
        }

        return claimed;
    }

    // The patched object, or null when it is gone; a conflict (someone else claimed it first) is thrown for a retry.
    private async Task<JsonObject?> PatchAsync(JsonObject obj, JsonObject ownerReference, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["ownerReferences"] = new JsonArray((JsonNode)ownerReference),
                ["uid"] = obj.GetString("metadata.uid"),
            },
        };
        try
        {
            return await client.PatchAsync(resource, obj.GetString("metadata.namespace"), obj.GetString("metadata.name")!, PatchType, patch, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }
}
