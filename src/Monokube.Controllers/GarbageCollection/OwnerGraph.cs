using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Discovery;

namespace Monokube.Controllers.GarbageCollection;

/// <summary>An owner reference as a dependent holds it.</summary>
public sealed record OwnerLink(string ApiVersion, string Kind, string Name, string Uid, bool BlockOwnerDeletion)
{
    public static IReadOnlyList<OwnerLink> Of(JsonObject obj) =>
        [.. (obj.Find("metadata.ownerReferences") as JsonArray ?? []).OfType<JsonObject>()
            .Where(r => r.GetString("uid") is { Length: > 0 })
            .Select(r => new OwnerLink(r.GetString("apiVersion") ?? "", r.GetString("kind") ?? "", r.GetString("name") ?? "", r.GetString("uid")!, r.GetBool("blockOwnerDeletion")))];
}

/// <summary>
/// One object in the ownership graph: what it is, whom it names as owners, who names it. A virtual node is an
/// owner known only from dependents' references, not (yet) seen itself.
/// </summary>
public sealed class GraphNode(string uid)
{
    public string Uid { get; } = uid;

    public DiscoveredResource? Resource { get; set; }

    public string? Namespace { get; set; }

    public string Name { get; set; } = "";

    public IReadOnlyList<OwnerLink> Owners { get; set; } = [];

    public HashSet<string> Dependents { get; } = [];

    public bool Virtual { get; set; } = true;

    public bool BeingDeleted { get; set; }

    /// <summary>Deleted in foreground: the foregroundDeletion finalizer waits for the blocking dependents.</summary>
    public bool DeletingDependents { get; set; }

    /// <summary>Deleted with the orphan finalizer: dependents are to be released first.</summary>
    public bool Orphaning { get; set; }
}

/// <summary>
/// The garbage collector's picture of ownership, built from the informers' events: nodes by uid, owner edges from
/// each object's ownerReferences and the reverse dependent edges. Callers hold <see cref="Gate"/>.
/// </summary>
public sealed class OwnerGraph
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";

    private readonly Dictionary<string, GraphNode> _nodes = new(StringComparer.Ordinal);

    public Lock Gate { get; } = new();

    public GraphNode? Get(string uid) => _nodes.GetValueOrDefault(uid);

    /// <summary>
    /// Records an object as now seen; returns the uids whose state the collector should look at again: the object
    /// itself when it has owners or is being deleted, and owners whose dependents changed while they wait.
    /// </summary>
    public HashSet<string> Upsert(DiscoveredResource resource, JsonObject obj)
    {
        var touched = new HashSet<string>(StringComparer.Ordinal);
        var uid = obj.GetString("metadata.uid");
        if (uid is null)
        {
            return touched;
        }

        if (!_nodes.TryGetValue(uid, out var node))
        {
            node = new GraphNode(uid);
            _nodes[uid] = node;
        }

        var finalizers = (obj.Find("metadata.finalizers") as JsonArray ?? []).Select(f => f?.ToString()).ToHashSet(StringComparer.Ordinal);
        node.Virtual = false;
        node.Resource = resource;
        node.Namespace = obj.GetString("metadata.namespace");
        node.Name = obj.GetString("metadata.name") ?? "";
        node.BeingDeleted = obj.GetString("metadata.deletionTimestamp") is not null;
        node.DeletingDependents = node.BeingDeleted && finalizers.Contains(ForegroundFinalizer);
        node.Orphaning = node.BeingDeleted && finalizers.Contains(OrphanFinalizer);

        var owners = OwnerLink.Of(obj);
        foreach (var gone in node.Owners.Where(o => !owners.Any(n => n.Uid == o.Uid)))
        {
            if (_nodes.TryGetValue(gone.Uid, out var owner))
            {
                owner.Dependents.Remove(uid);
                touched.Add(owner.Uid);
                RemoveIfUnreferencedVirtual(owner);
            }
        }

        foreach (var link in owners)
        {
            if (!_nodes.TryGetValue(link.Uid, out var owner))
            {
                owner = new GraphNode(link.Uid) { Name = link.Name, Namespace = node.Namespace };
                _nodes[link.Uid] = owner;
            }

            owner.Dependents.Add(uid);
            if (owner.Virtual || owner.DeletingDependents)
            {
                touched.Add(owner.Uid);
            }
        }

        // A changed blockOwnerDeletion matters to an owner deleting in foreground.
        foreach (var link in owners.Where(l => node.Owners.Any(o => o.Uid == l.Uid && o.BlockOwnerDeletion != l.BlockOwnerDeletion)))
        {
            touched.Add(link.Uid);
        }

        node.Owners = owners;
        if (owners.Count > 0 || node.BeingDeleted)
        {
            touched.Add(uid);
        }

        if (node.DeletingDependents)
        {
            touched.UnionWith(node.Dependents);
        }

        return touched;
    }

    /// <summary>Forgets a deleted object; returns its dependents and the owners that may now finish.</summary>
    public HashSet<string> Remove(JsonObject obj)
    {
        var touched = new HashSet<string>(StringComparer.Ordinal);
        if (obj.GetString("metadata.uid") is not { } uid || !_nodes.TryGetValue(uid, out var node))
        {
            return touched;
        }

        foreach (var link in node.Owners)
        {
            if (_nodes.TryGetValue(link.Uid, out var owner))
            {
                owner.Dependents.Remove(uid);
                touched.Add(owner.Uid);
                RemoveIfUnreferencedVirtual(owner);
            }
        }

        touched.UnionWith(node.Dependents);
        if (node.Dependents.Count > 0)
        {
            // Dependents still name it: keep it as a virtual node until they let go.
            node.Virtual = true;
            node.Owners = [];
            node.BeingDeleted = node.DeletingDependents = node.Orphaning = false;
        }
        else
        {
            _nodes.Remove(uid);
        }

        touched.Remove(uid);
        return touched;
    }

    /// <summary>Drops a virtual node that was found not to exist; returns its dependents.</summary>
    public IReadOnlyList<string> RemoveVirtual(string uid)
    {
        if (!_nodes.TryGetValue(uid, out var node) || !node.Virtual)
        {
            return [];
        }

        _nodes.Remove(uid);
        return [.. node.Dependents];
    }

    private void RemoveIfUnreferencedVirtual(GraphNode node)
    {
        if (node.Virtual && node.Dependents.Count == 0)
        {
            _nodes.Remove(node.Uid);
        }
    }
}
