using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Workloads;

/// <summary>
/// kube-controller-manager's replicaset controller: keeps spec.replicas active pods per ReplicaSet, made from its
/// template (named &lt;replicaset&gt;-&lt;random&gt;, controlled by it), adopting matching orphans and releasing pods that
/// stopped matching; scales down in kube's deletion order; reports replicas, fullyLabeledReplicas, readyReplicas,
/// availableReplicas and observedGeneration. A pod it cannot create gets a FailedCreate event on the ReplicaSet, as
/// kube records ("Error creating: ..."); successful creations and deletions are not recorded.
/// </summary>
public sealed class ReplicaSetController : Controller
{
    private const int BurstReplicas = 500;

    private readonly Informer _replicaSets;
    private readonly Informer _pods;
    private readonly Expectations _expectations;
    private readonly EventRecorder _events;
    private readonly OwnerIndex _podsByOwner = new();

    public ReplicaSetController(ControllerContext context)
        : base("replicaset-controller", context)
    {
        _expectations = new Expectations(context.Time);
        _events = new EventRecorder(context.Client, context.Time, Name, Environment.MachineName, Logger);
        _replicaSets = Watch(ResourceRef.ReplicaSets, e => Queue.Add(e.Key));
        _pods = Watch(ResourceRef.Pods, OnPod);
    }

    protected override int Workers => 5;

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_replicaSets.Get(key) is not { } rs)
        {
            _expectations.Forget(key);
            return;
        }

        var ns = rs.GetString("metadata.namespace")!;
        var selector = rs.Find("spec.selector") as JsonObject;
        var labelSelector = selector is null ? null : LabelSelector.FromObject(selector);
        var pods = await ClaimPodsAsync(rs, ns, labelSelector, cancellationToken);
        var active = pods.Where(PodConditions.IsActive).ToList();

        if (_expectations.Satisfied(key) && !Owners.IsBeingDeleted(rs))
        {
            await ManageReplicasAsync(key, rs, ns, active, cancellationToken);
        }

        await UpdateStatusAsync(rs, active, labelSelector, cancellationToken);
    }

    private void OnPod(InformerEvent e)
    {
        _podsByOwner.Update(e);
        var owner = Owners.ControllerOf(e.Object);
        var oldOwner = e.Old is null ? null : Owners.ControllerOf(e.Old);
        var ns = e.Object.GetString("metadata.namespace");
        foreach (var reference in new[] { owner, oldOwner }.OfType<JsonObject>().Where(r => r.GetString("kind") == "ReplicaSet").DistinctBy(r => r.GetString("uid")))
        {
            var rsKey = ns + "/" + reference.GetString("name");
            if (_replicaSets.Get(rsKey) is { } rs && Owners.Uid(rs) == reference.GetString("uid"))
            {
                if (e.Type == InformerEventType.Added)
                {
                    _expectations.CreationObserved(rsKey);
                }

                // A pod going away gracefully counts as deleted as soon as its deletionTimestamp is set, as in kube.
                if (e.Type == InformerEventType.Deleted || Owners.IsBeingDeleted(e.Object))
                {
                    _expectations.DeletionObserved(rsKey, e.Key);
                }

                Queue.Add(rsKey);
            }
        }

        // An orphan may be adopted by any ReplicaSet whose selector matches it.
        if (owner is null && e.Type != InformerEventType.Deleted)
        {
            var labels = e.Object.Find("metadata.labels") as JsonObject;
            foreach (var (rsKey, rs) in _replicaSets.Items)
            {
                if (rs.GetString("metadata.namespace") == ns && rs.Find("spec.selector") is JsonObject s && LabelSelector.FromObject(s).Matches(labels))
                {
                    Queue.Add(rsKey);
                }
            }
        }
    }

    // The pods this ReplicaSet controls, after adopting matching orphans and releasing non-matching pods it owned
    // (kube's PodControllerRefManager).
    private async Task<List<JsonObject>> ClaimPodsAsync(JsonObject rs, string ns, LabelSelector? selector, CancellationToken cancellationToken)
    {
        var claimed = new List<JsonObject>();
        var uid = Owners.Uid(rs);
        foreach (var key in _podsByOwner.Candidates(ns, uid))
        {
            if (_pods.Get(key) is not { } pod)
            {
                continue;
            }

            var matches = selector is not null && !selector.IsEmpty && selector.Matches(pod.Find("metadata.labels") as JsonObject);
            var owner = Owners.ControllerOf(pod);
            if (owner is not null)
            {
                if (owner.GetString("uid") != uid)
                {
                    continue;
                }

                if (matches || Owners.IsBeingDeleted(pod))
                {
                    claimed.Add(pod);
                }
                else
                {
                    await ReleaseAsync(pod, uid!, cancellationToken);
                }

                continue;
            }

            if (matches && !Owners.IsBeingDeleted(rs) && !Owners.IsBeingDeleted(pod))
            {
                claimed.Add(await AdoptAsync(pod, rs, cancellationToken) ?? pod);
            }
        }

        return claimed;
    }

    private async Task<JsonObject?> AdoptAsync(JsonObject pod, JsonObject rs, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["ownerReferences"] = new JsonArray((JsonNode)Owners.ControllerRef(rs, "apps/v1", "ReplicaSet")),
                ["uid"] = pod.GetString("metadata.uid"),
            },
        };
        try
        {
            return await Client.PatchAsync(ResourceRef.Pods, pod.GetString("metadata.namespace"), pod.GetString("metadata.name")!, "application/strategic-merge-patch+json", patch, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound || e.IsConflict)
        {
            return null;
        }
    }

    private async Task ReleaseAsync(JsonObject pod, string ownerUid, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["ownerReferences"] = new JsonArray((JsonNode)new JsonObject { ["$patch"] = "delete", ["uid"] = ownerUid }),
                ["uid"] = pod.GetString("metadata.uid"),
            },
        };
        try
        {
            await Client.PatchAsync(ResourceRef.Pods, pod.GetString("metadata.namespace"), pod.GetString("metadata.name")!, "application/strategic-merge-patch+json", patch, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound || e.IsConflict)
        {
        }
    }

    private async Task ManageReplicasAsync(string key, JsonObject rs, string ns, List<JsonObject> active, CancellationToken cancellationToken)
    {
        var wanted = (int)(rs.Find("spec.replicas") is JsonValue r ? r.ToLong() : 1);
        var diff = active.Count - wanted;
        if (diff < 0)
        {
            var count = Math.Min(-diff, BurstReplicas);
            _expectations.ExpectCreations(key, count);
            var pod = PodFromTemplate(rs, ns);

            // Slow start, as kube: 1, 2, 4, ... pods at a time, stopping at the first batch with a failure.
            var created = 0;
            for (var batch = 1; created < count; batch *= 2)
            {
                var size = Math.Min(batch, count - created);
                var results = await Task.WhenAll(Enumerable.Range(0, size).Select(_ => TryCreateAsync(key, rs, ns, pod, cancellationToken)));
                created += size;
                if (results.Any(ok => !ok))
                {
                    for (var i = created; i < count; i++)
                    {
                        _expectations.CreationObserved(key);
                    }

                    throw new InvalidOperationException($"could not create every pod of replicaset {key}");
                }
            }
        }
        else if (diff > 0)
        {
            var count = Math.Min(diff, BurstReplicas);
            var victims = active.Order(Comparer<JsonObject>.Create(PodConditions.CompareForDeletion)).Take(count).ToList();
            _expectations.ExpectDeletions(key, victims.Select(Informer.KeyOf));
            await Task.WhenAll(victims.Select(async victim =>
            {
                if (!await Client.DeleteAsync(ResourceRef.Pods, ns, victim.GetString("metadata.name")!, cancellationToken, uid: victim.GetString("metadata.uid")))
                {
                    _expectations.DeletionObserved(key, Informer.KeyOf(victim));
                }
            }));
        }
    }

    private async Task<bool> TryCreateAsync(string key, JsonObject rs, string ns, JsonObject pod, CancellationToken cancellationToken)
    {
        try
        {
            await Client.CreateAsync(ResourceRef.Pods, ns, (JsonObject)pod.DeepClone(), cancellationToken);
            return true;
        }
        catch (KubeApiException e) when (!cancellationToken.IsCancellationRequested)
        {
            _expectations.CreationObserved(key);
            if (e.Reason == "Forbidden" && e.StatusMessage.Contains("being terminated", StringComparison.Ordinal))
            {
                return true;
            }

            var regarding = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["metadata"] = rs["metadata"]?.DeepClone() };
            await _events.RecordAsync(regarding, "Warning", "FailedCreate", "Create", "Error creating: " + (e.Code == 0 ? e.Message : e.StatusMessage), cancellationToken);
            return false;
        }
    }

    /// <summary>A pod from the ReplicaSet's template, as kube's GetPodFromTemplate makes it.</summary>
    public static JsonObject PodFromTemplate(JsonObject owner, string ns, string ownerKind = "ReplicaSet", string ownerApiVersion = "apps/v1")
    {
        var template = owner.Find("spec.template") as JsonObject ?? [];
        var templateMeta = template["metadata"] as JsonObject ?? [];
        var metadata = new JsonObject
        {
            ["generateName"] = owner.GetString("metadata.name") + "-",
            ["namespace"] = ns,
            ["ownerReferences"] = new JsonArray((JsonNode)Owners.ControllerRef(owner, ownerApiVersion, ownerKind)),
        };
        foreach (var field in new[] { "labels", "annotations", "finalizers" })
        {
            if (templateMeta[field] is { } value)
            {
                metadata[field] = value.DeepClone();
            }
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
    }

    private async Task UpdateStatusAsync(JsonObject rs, List<JsonObject> active, LabelSelector? selector, CancellationToken cancellationToken)
    {
        var templateLabels = rs.Find("spec.template.metadata.labels") as JsonObject;
        var minReady = rs.Find("spec.minReadySeconds") is JsonValue m ? m.ToLong() : 0;
        var now = Context.Time.GetUtcNow();
        var templateSelector = LabelSelector.FromObject(ToMatchLabels(templateLabels));
        var fullyLabeled = active.Count(p => templateSelector.Matches(p.Find("metadata.labels") as JsonObject));
        var ready = active.Count(PodConditions.IsReady);
        var available = active.Count(p => PodConditions.IsAvailable(p, minReady, now));

        var status = (rs["status"] as JsonObject)?.DeepClone() as JsonObject ?? [];
        var before = status.ToJsonString();
        status["replicas"] = active.Count;
        SetOrOmit(status, "fullyLabeledReplicas", fullyLabeled);
        SetOrOmit(status, "readyReplicas", ready);
        SetOrOmit(status, "availableReplicas", available);
        status["observedGeneration"] = rs.Find("metadata.generation")?.DeepClone() ?? 1;
        if (status.ToJsonString() == before)
        {
            // Pods becoming available later need another look once minReadySeconds have passed.
            if (minReady > 0 && ready > available)
            {
                Queue.AddAfter(Informer.KeyOf(rs), TimeSpan.FromSeconds(minReady));
            }

            return;
        }

        var updated = (JsonObject)rs.DeepClone();
        updated["status"] = status;
        await Client.UpdateAsync(ResourceRef.ReplicaSets, updated, cancellationToken, "status");
        if (minReady > 0 && ready > available)
        {
            Queue.AddAfter(Informer.KeyOf(rs), TimeSpan.FromSeconds(minReady));
        }
    }

    private static void SetOrOmit(JsonObject status, string field, int value)
    {
        if (value == 0)
        {
            status.Remove(field);
        }
        else
        {
            status[field] = value;
        }
    }

    private static JsonObject? ToMatchLabels(JsonObject? labels) =>
        labels is null ? null : new JsonObject { ["matchLabels"] = labels.DeepClone() };
}
