using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Workloads;

/// <summary>
/// The keys of an informer's objects by controller uid, and the orphans (no controller) by namespace, kept from
/// the informer's events: what a controller may claim is its own objects and the orphans of its namespace, so a
/// sync looks at those instead of at every object of the cluster.
/// </summary>
public sealed class OwnerIndex
{
    private readonly Dictionary<string, HashSet<string>> _byController = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _orphansByNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _controllerOf = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Takes one informer event in (call from the informer's subscription, in order).</summary>
    public void Update(InformerEvent e)
    {
        lock (_gate)
        {
            if (_controllerOf.Remove(e.Key, out var previous))
            {
                Remove(previous is null ? _orphansByNamespace : _byController, previous ?? NamespaceOf(e.Key), e.Key);
            }

            if (e.Type == InformerEventType.Deleted)
            {
                return;
            }

            var uid = Owners.ControllerOf(e.Object)?.GetString("uid");
            _controllerOf[e.Key] = uid;
            Add(uid is null ? _orphansByNamespace : _byController, uid ?? NamespaceOf(e.Key), e.Key);
        }
    }

    /// <summary>The keys of the objects the controller with this uid controls, and of the orphans in its namespace.</summary>
    public List<string> Candidates(string? ns, string? controllerUid)
    {
        lock (_gate)
        {
            var keys = new List<string>();
            if (controllerUid is not null && _byController.TryGetValue(controllerUid, out var owned))
            {
                keys.AddRange(owned);
            }

            if (_orphansByNamespace.TryGetValue(ns ?? "", out var orphans))
            {
                keys.AddRange(orphans);
            }

            return keys;
        }
    }

    private static string NamespaceOf(string key) => key.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? key[..slash] : "";

    private static void Add(Dictionary<string, HashSet<string>> index, string value, string key)
    {
        if (!index.TryGetValue(value, out var keys))
        {
            index[value] = keys = new HashSet<string>(StringComparer.Ordinal);
        }

        keys.Add(key);
    }

    private static void Remove(Dictionary<string, HashSet<string>> index, string value, string key)
    {
        if (index.TryGetValue(value, out var keys) && keys.Remove(key) && keys.Count == 0)
        {
            index.Remove(value);
        }
    }
}
