using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers;
using Monokube.Controllers.Client;
using Monokube.Controllers.Discovery;

namespace Monokube.Bootstrap.Start;

/// <summary>
/// The pivot, after monokube serves: create the rendered objects (create-or-update by server-side apply, with
/// retries), label the masters, wait until the required pods run and every node is Ready (printing each change),
/// then hand the port over — stop the controllers, close the listener, and prove that the address still answers
/// /readyz on fresh connections (only the managed apiserver can answer now). A silent address means rolling back:
/// serve again and keep waiting. On timeout, say what each failing component is stuck on.
/// </summary>
public sealed class Pivot(RenderedAssets assets, StartOptions options, BootstrapControlPlane plane, KubeClient client, Uri address, TimeProvider time, ProgressBoard board)
{
    public const string FieldManager = "monokube";
    public const string MasterLabel = "monokube.io/control-plane";
    public const string ControlPlaneRole = "node-role.kubernetes.io/control-plane";

    private readonly DateTimeOffset _started = time.GetUtcNow();
    private string? _handoverFailure;

    /// <summary>Runs the pivot; 0 once handed over, 1 when it timed out (after printing the diagnosis).</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var deadline = _started + options.Timeout;
        if (!await CreateAssetsAsync(deadline, cancellationToken))
        {
            return 1;
        }

        while (true)
        {
            var state = await WaitUntilReadyAsync(deadline, cancellationToken);
            if (state is not null)
            {
                board.Close();
                Print("timed out after " + board.Elapsed + "; what is not done:");
                foreach (var line in state)
                {
                    board.Detail(line);
                }

                if (_handoverFailure is not null)
                {
                    board.Detail("kube-apiserver: never answered on " + address + " once monokube let go of the port: " + _handoverFailure);
                }

                return 1;
            }

            board.Close();
            Print("every required pod runs and every node is Ready; handing the apiserver port over");
            await plane.StopAsync();
            var failure = await ProbeAsync(time.GetUtcNow() + options.HandoverTimeout, cancellationToken);
            if (failure is null)
            {
                Print($"the managed apiserver answers /readyz on {address}; monokube's controllers released their leases");
                await RecordFinishedAsync(cancellationToken);
                return 0;
            }

            _handoverFailure = failure;
            Print($"handover failed: nothing answered on {address} within {options.HandoverTimeout.TotalSeconds:0}s ({failure}); serving again");
            await plane.StartAsync(cancellationToken);
            board.Open();
            if (time.GetUtcNow() >= deadline)
            {
                Print("timed out after " + board.Elapsed + ": kube-apiserver: never answered on " + address + ": " + failure);
                return 1;
            }

            // Give the managed apiserver time before the next attempt.
            await Task.Delay(options.HandoverTimeout, time, cancellationToken);
        }
    }

    private async Task<bool> CreateAssetsAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        ApiResources? resources = null;
        var delay = TimeSpan.FromMilliseconds(200);
        foreach (var asset in assets.Objects)
        {
            while (true)
            {
                string? error;
                try
                {
                    resources ??= await ApiResources.DiscoverAsync(client, cancellationToken);
                    var resource = resources.Find(asset.ApiVersion, asset.Kind);
                    if (resource is null)
                    {
                        // A kind a CRD created just now may not be discovered yet.
                        resources = null;
                        error = $"the server does not serve {asset.Kind} in {asset.ApiVersion}";
                    }
                    else
                    {
                        var ns = resource.Ref.Namespaced ? asset.Namespace ?? "default" : null;
                        await client.ApplyAsync(resource.Ref, ns, asset.Name, asset.Object, FieldManager, force: true, cancellationToken);
                        if (asset.Kind == "CustomResourceDefinition")
                        {
                            await WaitEstablishedAsync(resource.Ref, asset.Name, deadline, cancellationToken);
                            resources = null;
                        }

                        Print("created " + asset);
                        break;
                    }
                }
                catch (KubeApiException e) when (e.Code is not (HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized))
                {
                    error = e.Message;
                }
                catch (KubeApiException e)
                {
                    // The object itself is wrong (or not allowed): retrying will not help.
                    Print($"cannot create {asset}: {e.Message}");
                    return false;
                }

                if (time.GetUtcNow() + delay > deadline)
                {
                    Print($"timed out creating {asset}: {error}");
                    return false;
                }

                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }

        return true;
    }

    private async Task WaitEstablishedAsync(ResourceRef crds, string name, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (time.GetUtcNow() < deadline)
        {
            var crd = await client.GetAsync(crds, null, name, cancellationToken);
            if ((crd?.Find("status.conditions") as JsonArray ?? []).OfType<JsonObject>().Any(c => c.GetString("type") == "Established" && c.GetString("status") == "True"))
            {
                return;
            }

            await Task.Delay(options.PollInterval, time, cancellationToken);
        }

        throw new KubeApiException(HttpStatusCode.GatewayTimeout, "Timeout", $"CustomResourceDefinition {name} was not Established in time");
    }

    // Waits until done (null) or the deadline (the list of what is not done).
    private async Task<List<string>?> WaitUntilReadyAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            List<string> pending;
            try
            {
                await LabelMastersAsync(cancellationToken);
                pending = await PendingAsync(cancellationToken);
            }
            catch (KubeApiException e)
            {
                pending = ["the API: " + e.Message];
            }

            if (pending.Count == 0)
            {
                return null;
            }

            if (time.GetUtcNow() >= deadline)
            {
                return pending;
            }

            board.Tick();
            await Task.Delay(options.PollInterval, time, cancellationToken);
        }
    }

    // Kubelets may not give themselves node-role labels; the bootstrap kubelets mark masters with monokube.io/control-plane.
    private async Task LabelMastersAsync(CancellationToken cancellationToken)
    {
        var nodes = await client.ListAsync(ResourceRef.Nodes, null, cancellationToken, labelSelector: MasterLabel + "=true");
        foreach (var node in (nodes["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if ((node.Find("metadata.labels") as JsonObject)?.ContainsKey(ControlPlaneRole) == true)
            {
                continue;
            }

            var name = node.GetString("metadata.name")!;
            await client.PatchAsync(ResourceRef.Nodes, null, name, "application/merge-patch+json", new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [ControlPlaneRole] = "" } },
            }, cancellationToken);
            Print($"labelled node {name} {ControlPlaneRole}");
        }
    }

    // What is not done yet, one line per component; each change is printed as it happens.
    private async Task<List<string>> PendingAsync(CancellationToken cancellationToken)
    {
        var pending = new List<string>();
        var pods = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var required in options.RequiredPods)
        {
            var ns = required.Contains('/', StringComparison.Ordinal) ? required[..required.IndexOf('/', StringComparison.Ordinal)] : "kube-system";
            var prefix = required[(required.IndexOf('/', StringComparison.Ordinal) + 1)..];
            if (!pods.TryGetValue(ns, out var inNamespace))
            {
                inNamespace = [.. ((await client.ListAsync(ResourceRef.Pods, ns, cancellationToken))["items"] as JsonArray ?? []).OfType<JsonObject>()];
                pods[ns] = inNamespace;
            }

            var mine = inNamespace.Where(p => (p.GetString("metadata.name") ?? "").StartsWith(prefix + "-", StringComparison.Ordinal) && p.GetString("metadata.deletionTimestamp") is null).ToList();
            var ready = mine.Count(IsRunningAndReady);
            var state = mine.Count == 0 ? "no pod yet" : ready == mine.Count ? $"{ready}/{mine.Count} running and ready" : $"{ready}/{mine.Count} running and ready; " + Describe(mine.First(p => !IsRunningAndReady(p)));
            board.Set(prefix, state, mine.Count > 0 && ready == mine.Count);
            if (mine.Count == 0 || ready < mine.Count)
            {
                pending.Add($"{prefix}: {state}");
            }
        }

        var nodes = ((await client.ListAsync(ResourceRef.Nodes, null, cancellationToken))["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var notReady = nodes.Where(n => Conditions.Find(n, "Ready")?.GetString("status") != "True").ToList();
        var nodeState = nodes.Count == 0 ? "no node registered yet"
            : notReady.Count == 0 ? $"{nodes.Count}/{nodes.Count} Ready"
            : $"{nodes.Count - notReady.Count}/{nodes.Count} Ready; " + string.Join("; ", notReady.Select(DescribeNode));
        board.Set("nodes", nodeState, nodes.Count > 0 && notReady.Count == 0);
        if (nodes.Count == 0 || notReady.Count > 0)
        {
            pending.Add("nodes: " + nodeState);
        }

        return pending;
    }

    private static bool IsRunningAndReady(JsonObject pod) =>
        pod.GetString("status.phase") == "Running" && Conditions.Find(pod, "Ready")?.GetString("status") == "True";

    // Why a pod is not running and ready, in the words the cluster gives: the scheduler's, the container's, the kubelet's.
    private static string Describe(JsonObject pod)
    {
        var name = pod.GetString("metadata.name");
        if (pod.GetString("spec.nodeName") is not { } node)
        {
            var scheduled = Conditions.Find(pod, "PodScheduled");
            return scheduled?.GetString("reason") == "Unschedulable"
                ? $"{name} is unschedulable: {scheduled.GetString("message")}"
                : $"{name} is not scheduled yet";
        }

        foreach (var container in (pod.Find("status.containerStatuses") as JsonArray ?? []).OfType<JsonObject>())
        {
            if (container.Find("state.waiting") is JsonObject waiting && waiting.GetString("reason") is { } reason && reason != "ContainerCreating")
            {
                var last = container.Find("lastState.terminated") is JsonObject terminated
                    ? $" (last exit {terminated["exitCode"]}: {terminated.GetString("reason")} {terminated.GetString("message")})".TrimEnd()
                    : "";
                return $"{name} on {node}: container {container.GetString("name")} {reason}: {waiting.GetString("message")}{last}";
            }
        }

        var ready = Conditions.Find(pod, "Ready");
        return $"{name} on {node} is {pod.GetString("status.phase") ?? "Pending"}" + (ready?.GetString("message") is { } message ? ": " + message : "");
    }

    private static string DescribeNode(JsonObject node)
    {
        var ready = Conditions.Find(node, "Ready");
        return ready is null
            ? $"node {node.GetString("metadata.name")} has not reported its status"
            : $"node {node.GetString("metadata.name")} Ready={ready.GetString("status")} ({ready.GetString("reason")}: {ready.GetString("message")})";
    }

    // The address must answer /readyz on a fresh connection: monokube no longer listens, so only another server can.
    private async Task<string?> ProbeAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var last = "no answer";
        while (time.GetUtcNow() < deadline)
        {
            using var handler = client.Options.CreateHandler();
            handler.PooledConnectionLifetime = TimeSpan.Zero;
            using var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                using var response = await http.GetAsync("/readyz", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return null;
                }

                last = $"/readyz answered {(int)response.StatusCode}: {(await response.Content.ReadAsStringAsync(cancellationToken)).Trim()}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "/readyz did not answer within 5s";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }

        return last;
    }

    // A record in the cluster that the bootstrap finished, readable with kubectl get events -n kube-system. The
    // Namespace it is about is cluster-scoped: kube-apiserver keeps such an event in kube-system only when it has an
    // eventTime and names its reporter (otherwise only in default).
    private async Task RecordFinishedAsync(CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var now = KubeTime.Format(at);
        try
        {
            await client.CreateAsync(new ResourceRef("", "v1", "events", true), "kube-system", new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Event",
                ["metadata"] = new JsonObject { ["generateName"] = "bootstrap-finished-", ["namespace"] = "kube-system" },
                ["involvedObject"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["name"] = "kube-system" },
                ["reason"] = "BootstrapFinished",
                ["message"] = $"monokube start handed the apiserver over after {board.Elapsed}",
                ["type"] = "Normal",
                ["source"] = new JsonObject { ["component"] = "monokube" },
                ["eventTime"] = KubeTime.FormatMicro(at),
                ["reportingComponent"] = "monokube",
                ["reportingInstance"] = Environment.MachineName,
                ["action"] = "HandOver",
                ["firstTimestamp"] = now,
                ["lastTimestamp"] = now,
                ["count"] = 1,
            }, cancellationToken);
        }
        catch (KubeApiException e)
        {
            Print("could not record the bootstrap-finished event: " + e.Message);
        }
    }

    private void Print(string line) => board.Log(line);
}
