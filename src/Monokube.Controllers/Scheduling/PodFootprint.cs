using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers.Scheduling;

/// <summary>What one pod takes from the node it is bound to: its effective requests, host ports and controller.</summary>
public sealed record PodFootprint(IReadOnlyDictionary<string, decimal> Requests, IReadOnlyList<HostPort> HostPorts, string? ControllerUid)
{
    public static PodFootprint Of(JsonObject pod) =>
        new(NodeFit.Requests(pod), NodeFit.HostPorts(pod["spec"] as JsonObject ?? []).ToList(), Owners.ControllerOf(pod)?.GetString("uid"));
}
