using System.Globalization;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Discovery;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Namespaces;

/// <summary>
/// kube-controller-manager's namespace controller: empties a Terminating namespace of every namespaced resource the
/// server serves (found by discovery, so custom resources too), reports progress in the namespace's status
/// conditions as kube does, and removes the "kubernetes" finalizer through /finalize once nothing is left, after
/// which the server deletes the namespace.
/// </summary>
public sealed class NamespaceController : Controller
{
    private const string Finalizer = "kubernetes";

    // Objects still going away (graceful pods, finalizers): look again soon rather than wait for an event.
    private static readonly TimeSpan RecheckDelay = TimeSpan.FromSeconds(1);

    private readonly Informer _namespaces;

    public NamespaceController(ControllerContext context)
        : base("namespace-controller", context)
    {
        _namespaces = Watch(ResourceRef.Namespaces, e => Queue.Add(e.Key));
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_namespaces.Get(key) is not { } ns || !Owners.IsBeingDeleted(ns) || !HasFinalizer(ns))
        {
            return;
        }

        var resources = await ApiResources.DiscoverAsync(Client, cancellationToken);
        var deletable = resources.Preferred
            .Where(r => r.Ref.Namespaced && r.Supports("list", "delete"))
            .ToList();
        var failures = new List<string>();
        var remaining = new List<(string Resource, int Count)>();
        var finalizers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var resource in deletable)
        {
            try
            {
                var left = await DeleteContentAsync(resource, key, cancellationToken);
                if (left.Count > 0)
                {
                    remaining.Add((resource.Ref.Plural + "." + resource.Ref.Group, left.Count));
                    foreach (var finalizer in left.SelectMany(o => o.Find("metadata.finalizers") as JsonArray ?? []).Select(f => f?.ToString()).OfType<string>())
                    {
                        finalizers[finalizer] = finalizers.GetValueOrDefault(finalizer) + 1;
                    }
                }
            }
            catch (KubeApiException e) when (!e.IsConflict)
            {
                failures.Add($"Failed to delete all resource types, 1 remaining: {e.StatusMessage}");
            }
        }

        await ReportAsync(key, failures, remaining, finalizers, cancellationToken);
        if (failures.Count > 0 || remaining.Count > 0)
        {
            Queue.AddAfter(key, RecheckDelay);
            return;
        }

        await FinalizeAsync(key, cancellationToken);
    }

    private static bool HasFinalizer(JsonObject ns) =>
        (ns.Find("spec.finalizers") as JsonArray ?? []).Any(f => f?.ToString() == Finalizer);

    // Deletes everything of one resource in the namespace (deletecollection where served, else one by one) and
    // returns what is still there afterwards.
    private async Task<List<JsonObject>> DeleteContentAsync(DiscoveredResource resource, string ns, CancellationToken cancellationToken)
    {
        var list = await Client.ListAsync(resource.Ref, ns, cancellationToken);
        var items = (list["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (items.Count == 0)
        {
            return items;
        }

        foreach (var item in items.Where(i => !Owners.IsBeingDeleted(i)))
        {
            await Client.DeleteAsync(resource.Ref, ns, item.GetString("metadata.name")!, cancellationToken, propagationPolicy: "Background", uid: Owners.Uid(item));
        }

        var after = await Client.ListAsync(resource.Ref, ns, cancellationToken);
        return [.. (after["items"] as JsonArray ?? []).OfType<JsonObject>()];
    }

    // The five deletion conditions kube-controller-manager keeps on a Terminating namespace.
    private async Task ReportAsync(string name, List<string> failures, List<(string Resource, int Count)> remaining, Dictionary<string, int> finalizers, CancellationToken cancellationToken)
    {
        var now = KubeTime.Format(Context.Time.GetUtcNow());
        JsonObject Condition(string type, bool status, string reason, string message) => new()
        {
            ["type"] = type,
            ["status"] = status ? "True" : "False",
            ["lastTransitionTime"] = now,
            ["reason"] = reason,
            ["message"] = message,
        };

        var wanted = new[]
        {
            Condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered", "All resources successfully discovered"),
            Condition("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
            failures.Count > 0
                ? Condition("NamespaceDeletionContentFailure", true, "ContentDeletionFailed", string.Join("; ", failures))
                : Condition("NamespaceDeletionContentFailure", false, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
            remaining.Count > 0
                ? Condition("NamespaceContentRemaining", true, "SomeResourcesRemain", "Some resources are remaining: " + string.Join(", ", remaining.OrderBy(r => r.Resource, StringComparer.Ordinal).Select(r => $"{r.Resource} has {r.Count.ToString(CultureInfo.InvariantCulture)} resource instances")))
                : Condition("NamespaceContentRemaining", false, "ContentRemoved", "All content successfully removed"),
            finalizers.Count > 0
                ? Condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: " + string.Join(", ", finalizers.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} in {f.Value.ToString(CultureInfo.InvariantCulture)} resource instances")))
                : Condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
        };

        if (await Client.GetAsync(ResourceRef.Namespaces, null, name, cancellationToken) is not { } ns)
        {
            return;
        }

        var status = ns["status"] as JsonObject ?? [];
        var conditions = status["conditions"] as JsonArray ?? [];
        var changed = false;
        foreach (var condition in wanted)
        {
            var type = condition.GetString("type");
            var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == type);
            if (existing is not null && existing.GetString("status") == condition.GetString("status") && existing.GetString("reason") == condition.GetString("reason") && existing.GetString("message") == condition.GetString("message"))
            {
                continue;
            }

            if (existing is not null)
            {
                if (existing.GetString("status") == condition.GetString("status"))
                {
                    condition["lastTransitionTime"] = existing["lastTransitionTime"]?.DeepClone();
                }

                conditions.Remove(existing);
            }

            conditions.Add((JsonNode)condition);
            changed = true;
        }

        if (changed)
        {
            status["conditions"] = conditions;
            ns["status"] = status;
            await Client.UpdateAsync(ResourceRef.Namespaces, ns, cancellationToken, subresource: "status");
        }
    }

    private async Task FinalizeAsync(string name, CancellationToken cancellationToken)
    {
        if (await Client.GetAsync(ResourceRef.Namespaces, null, name, cancellationToken) is not { } ns || !HasFinalizer(ns))
        {
            return;
        }

        var kept = new JsonArray();
        foreach (var finalizer in (ns.Find("spec.finalizers") as JsonArray ?? []).Select(f => f?.ToString()).OfType<string>().Where(f => f != Finalizer))
        {
            kept.Add((JsonNode)finalizer);
        }

        ns["spec"] = ns["spec"] as JsonObject ?? [];
        ns["spec"]!["finalizers"] = kept;
        await Client.UpdateAsync(ResourceRef.Namespaces, ns, cancellationToken, subresource: "finalize");
    }
}
