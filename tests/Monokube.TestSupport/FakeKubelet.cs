using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.TestSupport;

/// <summary>
/// Stands in for the kubelets (there is no container runtime here) for the pods of one test namespace: a pod bound
/// to a node is reported Running and Ready, and a bound pod being deleted is removed, as its kubelet would.
/// </summary>
public sealed class FakeKubelet : IAsyncDisposable
{
    private readonly KubeClient _client;
    private readonly string _namespace;
    private readonly Informer _pods;
    private readonly CancellationTokenSource _stop = new();

    public FakeKubelet(KubeClient client, string ns)
    {
        _client = client;
        _namespace = ns;
        _pods = new Informer(client, ResourceRef.Pods, TimeProvider.System, NullLogger.Instance);
        _pods.Subscribe(e => _ = OnPodAsync(e));
        _pods.Start();
    }

    private async Task OnPodAsync(InformerEvent e)
    {
        var pod = e.Object;
        if (e.Type == InformerEventType.Deleted || pod.GetString("spec.nodeName") is null || pod.GetString("metadata.namespace") != _namespace)
        {
            return;
        }

        var ns = pod.GetString("metadata.namespace");
        var name = pod.GetString("metadata.name")!;
        try
        {
            if (pod.GetString("metadata.deletionTimestamp") is not null)
            {
                await _client.DeleteAsync(ResourceRef.Pods, ns, name, _stop.Token, uid: pod.GetString("metadata.uid"), gracePeriodSeconds: 0);
                return;
            }

            if (pod.GetString("status.phase") == "Running")
            {
                return;
            }

            var now = KubeTime.Format(DateTimeOffset.UtcNow);
            JsonObject Condition(string type) => new() { ["type"] = type, ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = now };
            var patch = new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["phase"] = "Running",
                    ["conditions"] = new JsonArray((JsonNode)Condition("PodScheduled"), Condition("Initialized"), Condition("ContainersReady"), Condition("Ready")),
                    ["startTime"] = now,
                    ["podIP"] = PodIp(pod),
                    ["podIPs"] = new JsonArray((JsonNode)new JsonObject { ["ip"] = PodIp(pod) }),
                },
            };
            await _client.PatchAsync(ResourceRef.Pods, ns, name, "application/merge-patch+json", patch, _stop.Token, "status");
        }
        catch (Exception ex) when (ex is KubeApiException or OperationCanceledException)
        {
        }
    }

    // A stable address in 10.244.0.0/16 per pod, as a CNI would give one.
    private static string PodIp(JsonObject pod)
    {
        var hash = (uint)StringComparer.Ordinal.GetHashCode(pod.GetString("metadata.uid") ?? "");
        return $"10.244.{(hash >> 8) % 256}.{hash % 254 + 1}";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pods.DisposeAsync();
        _stop.Dispose();
    }
}
