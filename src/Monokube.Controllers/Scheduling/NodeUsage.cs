namespace Monokube.Controllers.Scheduling;

/// <summary>
/// The sum of the footprints of the pods on one node, kept up to date as pods come and go so that a scheduling
/// decision costs a look at each node rather than at every pod of the cluster.
/// </summary>
public sealed class NodeUsage
{
    private readonly Dictionary<string, decimal> _requested = new(StringComparer.Ordinal);
    private readonly List<HostPort> _hostPorts = [];
    private readonly Dictionary<string, int> _byController = new(StringComparer.Ordinal);

    public static NodeUsage Empty { get; } = new();

    public int Pods { get; private set; }

    public IReadOnlyDictionary<string, decimal> Requested => _requested;

    public IReadOnlyList<HostPort> HostPorts => _hostPorts;

    /// <summary>How many of the node's pods the controller with this uid owns.</summary>
    public int OwnedBy(string? controllerUid) => controllerUid is null ? 0 : _byController.GetValueOrDefault(controllerUid);

    public void Add(PodFootprint pod)
    {
        Pods++;
        foreach (var (name, amount) in pod.Requests)
        {
            _requested[name] = _requested.GetValueOrDefault(name) + amount;
        }

        _hostPorts.AddRange(pod.HostPorts);
        if (pod.ControllerUid is { } uid)
        {
            _byController[uid] = _byController.GetValueOrDefault(uid) + 1;
        }
    }

    public void Remove(PodFootprint pod)
    {
        Pods--;
        foreach (var (name, amount) in pod.Requests)
        {
            _requested[name] = _requested.GetValueOrDefault(name) - amount;
        }

        foreach (var port in pod.HostPorts)
        {
            _hostPorts.Remove(port);
        }

        if (pod.ControllerUid is { } uid && _byController.TryGetValue(uid, out var count))
        {
            if (count <= 1)
            {
                _byController.Remove(uid);
            }
            else
            {
                _byController[uid] = count - 1;
            }
        }
    }
}
