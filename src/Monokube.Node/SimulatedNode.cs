using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;
using Monokube.Node.Runtime;

namespace Monokube.Node;

/// <summary>
/// One node as a kubelet keeps it, with the fake runtime: registers the Node (an existing one is reconciled), renews
/// its Lease in kube-node-lease, watches the pods bound to it (fieldSelector spec.nodeName), reports them Pending,
/// then Running and Ready with container statuses (pods that do not restart complete after the run duration), and
/// finishes graceful deletions with the final delete under a uid precondition.
/// </summary>
public sealed partial class SimulatedNode(KubeClient client, NodeAgentOptions options, string name, int index, TimeProvider time, ILogger logger, int kubeletPort = 10250) : IAsyncDisposable
{
    private const string KubeletVersion = "v1.33.0";

    private readonly ConcurrentDictionary<string, PodRun> _runs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Informer? _pods;
    private ProcessRuntime? _processes;
    private Task? _staticLoop;
    private Task? _leaseLoop;
    private int _nextIp;

    public string Name => name;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var node = await RegisterAsync(cancellationToken);
        await ReportStatusAsync(cancellationToken);
        await RenewLeaseAsync(node, cancellationToken);
        _leaseLoop = Task.Run(() => LeaseLoopAsync(node, _stop.Token), CancellationToken.None);
        _pods = new Informer(client, ResourceRef.Pods, time, logger, fieldSelector: "spec.nodeName=" + name);
        if (options.Runtime == NodeRuntime.Process)
        {
            _processes = new ProcessRuntime(new ProcessRuntimeContext
            {
                Client = client,
                Options = options,
                Images = options.Images,
                NodeName = name,
                PodsDirectory = Path.Combine(options.RootDir, "pods"),
                Time = time,
                Logger = logger,
                NextPodIp = () => PodIp(new JsonObject()),
                NodeUid = node.GetString("metadata.uid") ?? "",
            });
            if (options.StaticPodPath is { } manifests)
            {
                var source = new StaticPodSource(manifests, name, time);
                ReadStatic(source);
                _staticLoop = Task.Run(() => StaticLoopAsync(source, _stop.Token), CancellationToken.None);
            }

            _pods.Subscribe(_processes.OnPod);
        }
        else
        {
            _pods.Subscribe(e => _ = Task.Run(() => OnPodAsync(e), CancellationToken.None));
        }

        _pods.Start();
        await _pods.WaitForSyncAsync(cancellationToken);
        if (_processes is not null)
        {
            await _processes.RemoveOrphansAsync(_pods.Items.Values);
        }
    }

    /// <summary>Where a container's log is, for the kubelet port; simulated containers have an empty one.</summary>
    public (string Path, bool Live)? FindLog(string ns, string pod, string container, bool previous)
    {
        if (_processes is not null && _processes.Has(ns, pod))
        {
            return _processes.Log(ns, pod, container, previous);
        }

        var found = _pods?.Get(ns, pod);
        var known = (found?.Find("spec.containers") as JsonArray ?? []).OfType<JsonObject>().Any(c => c.GetString("name") == container);
        return known && !previous ? ("/dev/null", false) : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_pods is not null)
        {
            await _pods.DisposeAsync();
        }

        if (_processes is not null)
        {
            await _processes.DisposeAsync();
        }

        foreach (var loop in new[] { _leaseLoop, _staticLoop })
        {
            if (loop is not null)
            {
                await loop.ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        _stop.Dispose();
    }

    // POST the Node; when it exists (a restart, or the agent taking over from another), keep it and make sure the
    // labels asked for are there, as the kubelet reconciles.
    private async Task<JsonObject> RegisterAsync(CancellationToken cancellationToken)
    {
        var labels = new JsonObject
        {
            ["kubernetes.io/hostname"] = name,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = "amd64",
            ["beta.kubernetes.io/os"] = "linux",
            ["beta.kubernetes.io/arch"] = "amd64",
        };
        foreach (var (key, value) in options.Labels)
        {
            labels[key] = value;
        }

        var spec = new JsonObject();
        if (options.Taints.Count > 0)
        {
            spec["taints"] = new JsonArray([.. options.Taints.Select(t => (JsonNode)Taint(t))]);
        }

        try
        {
            return await client.CreateAsync(ResourceRef.Nodes, null, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Node",
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels },
                ["spec"] = spec,
            }, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            var existing = (await client.GetAsync(ResourceRef.Nodes, null, name, cancellationToken))!;
            var current = existing.Find("metadata.labels") as JsonObject;
            if (labels.Any(kv => current?[kv.Key]?.ToString() != kv.Value?.ToString()))
            {
                existing = await client.PatchAsync(ResourceRef.Nodes, null, name, "application/strategic-merge-patch+json", new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = labels },
                }, cancellationToken);
            }

            return existing;
        }
    }

    private static JsonObject Taint((string Key, string? Value, string Effect) taint)
    {
        var obj = new JsonObject { ["key"] = taint.Key, ["effect"] = taint.Effect };
        if (taint.Value is not null)
        {
            obj["value"] = taint.Value;
        }

        return obj;
    }

    private async Task ReportStatusAsync(CancellationToken cancellationToken)
    {
        var now = KubeTime.Format(time.GetUtcNow());
        JsonObject Condition(string type, bool status, string reason, string message) => new()
        {
            ["type"] = type,
            ["status"] = status ? "True" : "False",
            ["lastHeartbeatTime"] = now,
            ["lastTransitionTime"] = now,
            ["reason"] = reason,
            ["message"] = message,
        };

        var capacity = new JsonObject();
        foreach (var (resource, quantity) in options.Capacity)
        {
            capacity[resource] = quantity;
        }

        await client.PatchAsync(ResourceRef.Nodes, null, name, "application/strategic-merge-patch+json", new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["capacity"] = capacity,
                ["allocatable"] = capacity.DeepClone(),
                ["conditions"] = new JsonArray(
                    (JsonNode)Condition("MemoryPressure", false, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    Condition("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    Condition("PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    Condition("Ready", true, "KubeletReady", "kubelet is posting ready status")),
                ["addresses"] = new JsonArray(
                    (JsonNode)new JsonObject { ["type"] = "InternalIP", ["address"] = options.NodeIp },
                    new JsonObject { ["type"] = "Hostname", ["address"] = name }),
                ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = kubeletPort } },
                ["nodeInfo"] = new JsonObject
                {
                    ["machineID"] = "",
                    ["systemUUID"] = "",
                    ["bootID"] = "",
                    ["kernelVersion"] = KernelVersion(),
                    ["osImage"] = options.Runtime == NodeRuntime.Process ? "monokube node (process runtime)" : "monokube node (fake runtime)",
                    ["containerRuntimeVersion"] = options.Runtime == NodeRuntime.Process ? "process://monokube" : "fake://monokube",
                    ["kubeletVersion"] = KubeletVersion,
                    ["kubeProxyVersion"] = "",
                    ["operatingSystem"] = "linux",
                    ["architecture"] = "amd64",
                },
            },
        }, cancellationToken, subresource: "status");
    }

    private void ReadStatic(StaticPodSource source)
    {
        var (pods, errors) = source.Read();
        foreach (var error in errors)
        {
            LogFailed(logger, name, "static pod", error);
        }

        _processes!.SyncStatic(pods);
    }

    private async Task StaticLoopAsync(StaticPodSource source, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.FileCheckFrequency, time, cancellationToken);
                ReadStatic(source);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task LeaseLoopAsync(JsonObject node, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.LeaseRenewInterval, time, cancellationToken);
                await RenewLeaseAsync(node, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException)
            {
                // The API may be away for a moment (an apiserver handing its port over); the next renewal retries.
                LogFailed(logger, name, "lease", e.Message);
            }
        }
    }

    private async Task RenewLeaseAsync(JsonObject node, CancellationToken cancellationToken)
    {
        var now = KubeTime.FormatMicro(time.GetUtcNow());
        var lease = await client.GetAsync(ResourceRef.Leases, "kube-node-lease", name, cancellationToken);
        if (lease is null)
        {
            await client.CreateAsync(ResourceRef.Leases, "kube-node-lease", new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1",
                ["kind"] = "Lease",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["namespace"] = "kube-node-lease",
                    ["ownerReferences"] = new JsonArray((JsonNode)new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = name, ["uid"] = node.GetString("metadata.uid") }),
                },
                ["spec"] = new JsonObject { ["holderIdentity"] = name, ["leaseDurationSeconds"] = 40, ["renewTime"] = now },
            }, cancellationToken);
            return;
        }

        lease["spec"] = lease["spec"] as JsonObject ?? [];
        lease["spec"]!["holderIdentity"] = name;
        lease["spec"]!["leaseDurationSeconds"] = 40;
        lease["spec"]!["renewTime"] = now;
        await client.UpdateAsync(ResourceRef.Leases, lease, cancellationToken);
    }

    private async Task OnPodAsync(InformerEvent e)
    {
        try
        {
            if (e.Type == InformerEventType.Deleted)
            {
                _runs.TryRemove(e.Key, out _);
                return;
            }

            var pod = e.Object;
            if (pod.GetString("metadata.deletionTimestamp") is not null)
            {
                await StopAsync(e.Key, pod);
                return;
            }

            var run = _runs.GetOrAdd(e.Key, _ => new PodRun(pod.GetString("metadata.uid")!, PodIp(pod)));
            if (run.Uid != pod.GetString("metadata.uid") || !run.TryBegin())
            {
                return;
            }

            await ReportAsync(pod, run, Phase.Pending);
            await Task.Delay(options.StartDelay, time, _stop.Token);
            await ReportAsync(pod, run, Phase.Running);
            if (pod.GetString("spec.restartPolicy") is "Never" or "OnFailure")
            {
                await Task.Delay(options.RunDuration, time, _stop.Token);
                await ReportAsync(pod, run, Phase.Succeeded);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (KubeApiException ex) when (ex.IsNotFound || ex.IsConflict)
        {
        }
        catch (Exception ex) when (ex is KubeApiException or HttpRequestException)
        {
            LogFailed(logger, name, e.Key, ex.Message);
        }
    }

    // The containers stop at once (the fake runtime has nothing to wait for); then the final delete, as the kubelet
    // sends it: grace period 0 and the pod's uid as precondition, so a new pod of the same name is never hit.
    private async Task StopAsync(string key, JsonObject pod)
    {
        if (_runs.TryGetValue(key, out var run) && run.Stopping)
        {
            return;
        }

        run ??= _runs.GetOrAdd(key, _ => new PodRun(pod.GetString("metadata.uid")!, PodIp(pod)));
        run.Stopping = true;
        if (pod.GetString("status.phase") is "Running" or "Pending")
        {
            await ReportAsync(pod, run, Phase.Stopped);
        }

        await client.DeleteAsync(ResourceRef.Pods, pod.GetString("metadata.namespace"), pod.GetString("metadata.name")!, _stop.Token, uid: pod.GetString("metadata.uid"), gracePeriodSeconds: 0);
    }

    private enum Phase
    {
        Pending,
        Running,
        Succeeded,
        Stopped,
    }

    private async Task ReportAsync(JsonObject pod, PodRun run, Phase phase)
    {
        var now = KubeTime.Format(time.GetUtcNow());
        run.StartedAt ??= now;
        var running = phase == Phase.Running;
        var done = phase is Phase.Succeeded or Phase.Stopped;
        JsonObject Condition(string type, bool status, string? reason = null)
        {
            var condition = new JsonObject { ["type"] = type, ["status"] = status ? "True" : "False", ["lastProbeTime"] = null, ["lastTransitionTime"] = now };
            if (reason is not null)
            {
                condition["reason"] = reason;
            }

            return condition;
        }

        var statuses = new JsonArray();
        foreach (var container in (pod.Find("spec.containers") as JsonArray ?? []).OfType<JsonObject>())
        {
            var containerName = container.GetString("name");
            var state = phase switch
            {
                Phase.Pending => new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } },
                Phase.Running => new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } },
                _ => new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 0, ["reason"] = "Completed", ["startedAt"] = run.StartedAt, ["finishedAt"] = now } },
            };
            var status = new JsonObject
            {
                ["name"] = containerName,
                ["image"] = container.GetString("image"),
                ["imageID"] = "fake://" + container.GetString("image"),
                ["ready"] = running,
                ["started"] = running,
                ["restartCount"] = 0,
                ["state"] = state,
            };
            if (phase != Phase.Pending)
            {
                status["containerID"] = "fake://" + run.Uid + "/" + containerName;
            }

            statuses.Add((JsonNode)status);
        }

        var notReady = done ? "PodCompleted" : "ContainersNotReady";
        var body = new JsonObject
        {
            ["phase"] = phase switch { Phase.Pending => "Pending", Phase.Running => "Running", _ => "Succeeded" },
            ["conditions"] = new JsonArray(
                (JsonNode)Condition("PodReadyToStartContainers", !done),
                Condition("Initialized", true, done ? "PodCompleted" : null),
                Condition("Ready", running, running ? null : notReady),
                Condition("ContainersReady", running, running ? null : notReady),
                Condition("PodScheduled", true)),
            ["hostIP"] = options.NodeIp,
            ["hostIPs"] = new JsonArray((JsonNode)new JsonObject { ["ip"] = options.NodeIp }),
            ["podIP"] = run.Ip,
            ["podIPs"] = new JsonArray((JsonNode)new JsonObject { ["ip"] = run.Ip }),
            ["startTime"] = run.StartedAt,
            ["containerStatuses"] = statuses,
            ["qosClass"] = pod.GetString("status.qosClass") ?? "BestEffort",
        };
        await client.PatchAsync(ResourceRef.Pods, pod.GetString("metadata.namespace"), pod.GetString("metadata.name")!, "application/merge-patch+json", new JsonObject
        {
            ["metadata"] = new JsonObject { ["uid"] = run.Uid },
            ["status"] = body,
        }, _stop.Token, subresource: "status");
    }

    // Host-network pods have the node's address; others one of this node's fake pod range 10.(244+i/256).(i%256).x.
    private string PodIp(JsonObject pod)
    {
        if (pod.Find("spec.hostNetwork") is JsonValue host && host.GetValue<bool>())
        {
            return options.NodeIp;
        }

        var n = Interlocked.Increment(ref _nextIp);
        return string.Create(CultureInfo.InvariantCulture, $"10.{244 + index / 256 % 12}.{index % 256}.{n % 254 + 1}");
    }

    private static string KernelVersion()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private sealed class PodRun(string uid, string ip)
    {
        private int _begun;

        public string Uid { get; } = uid;

        public string Ip { get; } = ip;

        public string? StartedAt { get; set; }

        public bool Stopping { get; set; }

        public bool TryBegin() => Interlocked.Exchange(ref _begun, 1) == 0;
    }

    [LoggerMessage(EventId = 7601, Level = LogLevel.Warning, Message = "node {Node}: {What}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string node, string what, string reason);
}
