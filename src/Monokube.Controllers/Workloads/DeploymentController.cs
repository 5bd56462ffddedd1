using System.Globalization;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Selectors;
using Monokube.Controllers.Client;
using Monokube.Controllers.Hashing;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Workloads;

/// <summary>
/// kube-controller-manager's deployment controller: one ReplicaSet per pod template, named
/// &lt;deployment&gt;-&lt;pod-template-hash&gt; with kube's hash; RollingUpdate within maxSurge/maxUnavailable or Recreate;
/// proportional scaling; revision annotations (rollback is the client re-applying an old template, which finds its
/// old ReplicaSet again); old ReplicaSets pruned to revisionHistoryLimit; status with the Available and Progressing
/// conditions and reasons kubectl rollout status reads.
/// </summary>
public sealed partial class DeploymentController : Controller
{
    private const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    private const string RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
    private const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    private const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
    private const string HashLabel = "pod-template-hash";

    private static readonly HashSet<string> NotCopiedAnnotations = new(StringComparer.Ordinal)
    {
        "kubectl.kubernetes.io/last-applied-configuration", RevisionAnnotation, RevisionHistoryAnnotation,
        DesiredReplicasAnnotation, MaxReplicasAnnotation, "deprecated.deployment.rollback.to",
    };

    private readonly Informer _deployments;
    private readonly Informer _replicaSets;
    private readonly Informer _pods;

    public DeploymentController(ControllerContext context)
        : base("deployment-controller", context)
    {
        _deployments = Watch(ResourceRef.Deployments, e => Queue.Add(e.Key));
        _replicaSets = Watch(ResourceRef.ReplicaSets, OnReplicaSet);
        _pods = Watch(ResourceRef.Pods, OnPod);
    }

    protected override int Workers => 5;

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_deployments.Get(key) is not { } d || Owners.IsBeingDeleted(d))
        {
            return;
        }

        var ns = d.GetString("metadata.namespace")!;
        var selector = d.Find("spec.selector") as JsonObject;
        if (selector is null || LabelSelector.FromObject(selector).IsEmpty)
        {
            return;
        }

        var replicaSets = await ClaimReplicaSetsAsync(d, ns, LabelSelector.FromObject(selector), cancellationToken);
        var paused = d.Find("spec.paused")?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var (newRs, oldRs) = await NewAndOldAsync(d, replicaSets, createIfMissing: !paused, cancellationToken);
        var all = oldRs.Concat(newRs is null ? [] : [newRs]).ToList();

        if (paused || IsScalingEvent(d, all))
        {
            await ScaleAsync(d, newRs, oldRs, cancellationToken);
            await SyncStatusAsync(d, newRs, all, cancellationToken, pausedNow: paused);
            return;
        }

        if (d.GetString("spec.strategy.type") == "Recreate")
        {
            await RecreateAsync(d, newRs, oldRs, cancellationToken);
        }
        else
        {
            await RollAsync(d, newRs!, oldRs, cancellationToken);
        }

        await CleanupAsync(d, newRs, oldRs, cancellationToken);
        await SyncStatusAsync(d, newRs, all, cancellationToken, pausedNow: false);
    }

    private void OnReplicaSet(InformerEvent e)
    {
        foreach (var obj in new[] { e.Object, e.Old }.OfType<JsonObject>())
        {
            if (Owners.ControllerOf(obj) is { } owner && owner.GetString("kind") == "Deployment")
            {
                Queue.Add(obj.GetString("metadata.namespace") + "/" + owner.GetString("name"));
            }
            else if (Owners.ControllerOf(obj) is null)
            {
                // An orphan may be adopted by a deployment whose selector matches it.
                var labels = obj.Find("metadata.labels") as JsonObject;
                foreach (var (key, d) in _deployments.Items)
                {
                    if (d.GetString("metadata.namespace") == obj.GetString("metadata.namespace") && d.Find("spec.selector") is JsonObject s && LabelSelector.FromObject(s).Matches(labels))
                    {
                        Queue.Add(key);
                    }
                }
            }
        }
    }

    // Recreate waits for the old pods to be gone: their deletion moves it on.
    private void OnPod(InformerEvent e)
    {
        if (e.Type != InformerEventType.Deleted || Owners.ControllerOf(e.Object) is not { } owner || owner.GetString("kind") != "ReplicaSet")
        {
            return;
        }

        if (_replicaSets.Get(e.Object.GetString("metadata.namespace"), owner.GetString("name")!) is { } rs && Owners.ControllerOf(rs) is { } d && d.GetString("kind") == "Deployment")
        {
            Queue.Add(rs.GetString("metadata.namespace") + "/" + d.GetString("name"));
        }
    }

    private async Task<List<JsonObject>> ClaimReplicaSetsAsync(JsonObject d, string ns, LabelSelector selector, CancellationToken cancellationToken)
    {
        var uid = Owners.Uid(d);
        var claimed = new List<JsonObject>();
        foreach (var (_, rs) in _replicaSets.Items)
        {
            if (rs.GetString("metadata.namespace") != ns)
            {
                continue;
            }

            var owner = Owners.ControllerOf(rs);
            var matches = selector.Matches(rs.Find("metadata.labels") as JsonObject);
            if (owner is not null)
            {
                if (owner.GetString("uid") == uid && matches)
                {
                    claimed.Add(rs);
                }

                continue;
            }

            if (matches && !Owners.IsBeingDeleted(rs))
            {
                var patch = new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["ownerReferences"] = new JsonArray((JsonNode)Owners.ControllerRef(d, "apps/v1", "Deployment")),
                        ["uid"] = Owners.Uid(rs),
                    },
                };
                claimed.Add(await Client.PatchAsync(ResourceRef.ReplicaSets, ns, rs.GetString("metadata.name")!, "application/strategic-merge-patch+json", patch, cancellationToken));
            }
        }

        return claimed;
    }

    // The ReplicaSet whose template is the deployment's (created when missing), and the others.
    private async Task<(JsonObject? New, List<JsonObject> Old)> NewAndOldAsync(JsonObject d, List<JsonObject> replicaSets, bool createIfMissing, CancellationToken cancellationToken)
    {
        var template = d.Find("spec.template");
        var existing = replicaSets
            .Where(rs => RolloutMath.EqualIgnoringHash(rs.Find("spec.template"), template))
            .OrderBy(rs => rs.GetString("metadata.creationTimestamp"), StringComparer.Ordinal)
            .FirstOrDefault();
        var old = replicaSets.Where(rs => !ReferenceEquals(rs, existing)).ToList();
        var maxOldRevision = old.Select(RolloutMath.Revision).DefaultIfEmpty(0).Max();
        var revision = maxOldRevision + 1;
        var (surge, _) = RolloutMath.SurgeAndUnavailable(d);
        var replicas = RolloutMath.Replicas(d);

        if (existing is not null)
        {
            // The new ReplicaSet carries the newest revision (a rollback gives an old one a new number and keeps
            // its previous numbers in revision-history) and the deployment's annotations.
            var annotations = (existing.Find("metadata.annotations") as JsonObject)?.DeepClone() as JsonObject ?? [];
            var before = annotations.ToJsonString();
            var current = RolloutMath.Revision(existing);
            if (current < revision && current > 0)
            {
                var history = annotations[RevisionHistoryAnnotation]?.ToString();
                annotations[RevisionHistoryAnnotation] = string.IsNullOrEmpty(history) ? current.ToString(CultureInfo.InvariantCulture) : history + "," + current.ToString(CultureInfo.InvariantCulture);
            }

            if (current < revision)
            {
                annotations[RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
            }

            CopyAnnotations(d, annotations);
            annotations[DesiredReplicasAnnotation] = replicas.ToString(CultureInfo.InvariantCulture);
            annotations[MaxReplicasAnnotation] = (replicas + surge).ToString(CultureInfo.InvariantCulture);
            if (annotations.ToJsonString() != before)
            {
                var updated = (JsonObject)existing.DeepClone();
                updated["metadata"]!["annotations"] = annotations;
                existing = await Client.UpdateAsync(ResourceRef.ReplicaSets, updated, cancellationToken);
            }

            await SetDeploymentRevisionAsync(d, RolloutMath.Revision(existing), cancellationToken);
            if ((d.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().Any(c => c.GetString("type") == "Progressing") != true)
            {
                await SetProgressingAsync(d, "True", "FoundNewReplicaSet", $"Found new replica set \"{existing.GetString("metadata.name")}\"", cancellationToken);
            }

            return (existing, old);
        }

        if (!createIfMissing)
        {
            return (null, old);
        }

        var collisions = d.Find("status.collisionCount") is JsonValue c ? c.ToLong() : (long?)null;
        var hash = TemplateHash.Compute((JsonObject)template!, collisions);
        var ns = d.GetString("metadata.namespace")!;
        var name = d.GetString("metadata.name") + "-" + hash;
        var rsTemplate = (JsonObject)template!.DeepClone();
        var rsTemplateMeta = rsTemplate["metadata"] as JsonObject ?? [];
        rsTemplate["metadata"] = rsTemplateMeta;
        var templateLabels = rsTemplateMeta["labels"] as JsonObject ?? [];
        templateLabels[HashLabel] = hash;
        rsTemplateMeta["labels"] = templateLabels;
        var selector = (JsonObject)d.Find("spec.selector")!.DeepClone();
        var matchLabels = selector["matchLabels"] as JsonObject ?? [];
        matchLabels[HashLabel] = hash;
        selector["matchLabels"] = matchLabels;
        var newAnnotations = new JsonObject();
        CopyAnnotations(d, newAnnotations);
        newAnnotations[RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
        newAnnotations[DesiredReplicasAnnotation] = replicas.ToString(CultureInfo.InvariantCulture);
        newAnnotations[MaxReplicasAnnotation] = (replicas + surge).ToString(CultureInfo.InvariantCulture);
        var newReplicas = NewReplicaSetReplicas(d, old, 0);
        var rs = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["labels"] = templateLabels.DeepClone(),
                ["annotations"] = newAnnotations,
                ["ownerReferences"] = new JsonArray((JsonNode)Owners.ControllerRef(d, "apps/v1", "Deployment")),
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = newReplicas,
                ["minReadySeconds"] = d.Find("spec.minReadySeconds")?.DeepClone() ?? 0,
                ["selector"] = selector,
                ["template"] = rsTemplate,
            },
        };

        JsonObject created;
        try
        {
            created = await Client.CreateAsync(ResourceRef.ReplicaSets, ns, rs, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            // Someone else's ReplicaSet has the name, or ours with another template: count a collision and retry,
            // so the next hash differs (kube's collisionCount).
            var other = await Client.GetAsync(ResourceRef.ReplicaSets, ns, name, cancellationToken);
            if (other is not null && Owners.IsControlledBy(other, d) && RolloutMath.EqualIgnoringHash(other.Find("spec.template"), template))
            {
                return (other, old);
            }

            var status = (d["status"] as JsonObject)?.DeepClone() as JsonObject ?? [];
            status["collisionCount"] = (collisions ?? 0) + 1;
            var updated = (JsonObject)d.DeepClone();
            updated["status"] = status;
            await Client.UpdateAsync(ResourceRef.Deployments, updated, cancellationToken, "status");
            throw new InvalidOperationException($"hash collision for replicaset {ns}/{name}; retrying with collisionCount {(collisions ?? 0) + 1}");
        }

        await SetDeploymentRevisionAsync(d, revision, cancellationToken);
        await SetProgressingAsync(d, "True", "NewReplicaSetCreated", $"Created new replica set \"{name}\"", cancellationToken);
        return (created, old);
    }

    private static void CopyAnnotations(JsonObject d, JsonObject target)
    {
        foreach (var (k, v) in d.Find("metadata.annotations") as JsonObject ?? [])
        {
            if (!NotCopiedAnnotations.Contains(k))
            {
                target[k] = v?.DeepClone();
            }
        }
    }

    private async Task SetDeploymentRevisionAsync(JsonObject d, long revision, CancellationToken cancellationToken)
    {
        var text = revision.ToString(CultureInfo.InvariantCulture);
        if (d.Find("metadata.annotations")?[RevisionAnnotation]?.ToString() == text)
        {
            return;
        }

        // An update, as kube's controller makes it: its role (system:controller:deployment-controller) may not patch.
        var updated = d.DeepClone().AsObject();
        updated.GetOrAddObject("metadata").GetOrAddObject("annotations")[RevisionAnnotation] = text;
        await Client.UpdateAsync(ResourceRef.Deployments, updated, cancellationToken);
    }

    // A scaling event: an active ReplicaSet was sized for a different spec.replicas (its desired-replicas annotation).
    private static bool IsScalingEvent(JsonObject d, List<JsonObject> all)
    {
        var replicas = RolloutMath.Replicas(d).ToString(CultureInfo.InvariantCulture);
        return all.Where(rs => RolloutMath.Replicas(rs) > 0)
            .Any(rs => rs.Find("metadata.annotations")?[DesiredReplicasAnnotation]?.ToString() is { } desired && desired != replicas);
    }

    private static int NewReplicaSetReplicas(JsonObject d, List<JsonObject> old, int current)
    {
        var replicas = RolloutMath.Replicas(d);
        if (d.GetString("spec.strategy.type") == "Recreate")
        {
            return replicas;
        }

        var (surge, _) = RolloutMath.SurgeAndUnavailable(d);
        var total = old.Sum(RolloutMath.Replicas) + current;
        var maxTotal = replicas + surge;
        if (total >= maxTotal)
        {
            return current;
        }

        return current + Math.Min(maxTotal - total, replicas - current);
    }

    private async Task RollAsync(JsonObject d, JsonObject newRs, List<JsonObject> old, CancellationToken cancellationToken)
    {
        var replicas = RolloutMath.Replicas(d);
        var newReplicas = RolloutMath.Replicas(newRs);
        if (newReplicas > replicas)
        {
            newRs = await ScaleReplicaSetAsync(d, newRs, replicas, cancellationToken);
        }
        else if (newReplicas < replicas)
        {
            var wanted = NewReplicaSetReplicas(d, old, newReplicas);
            if (wanted != newReplicas)
            {
                newRs = await ScaleReplicaSetAsync(d, newRs, wanted, cancellationToken);
            }
        }

        // Old ReplicaSets shrink as far as availability allows: unhealthy replicas first, then the oldest
        // (kube's reconcileOldReplicaSets, cleanupUnhealthyReplicas and scaleDownOldReplicaSetsForRollingUpdate).
        var (_, maxUnavailable) = RolloutMath.SurgeAndUnavailable(d);
        var olds = old.OrderBy(rs => rs.GetString("metadata.creationTimestamp"), StringComparer.Ordinal).ToList();
        if (olds.Sum(RolloutMath.Replicas) == 0)
        {
            return;
        }

        var allPods = olds.Sum(RolloutMath.Replicas) + RolloutMath.Replicas(newRs);
        var minAvailable = replicas - maxUnavailable;
        var newUnavailable = RolloutMath.Replicas(newRs) - RolloutMath.StatusCount(newRs, "availableReplicas");
        var maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return;
        }

        var cleaned = 0;
        for (var i = 0; i < olds.Count && cleaned < maxScaledDown; i++)
        {
            var unhealthy = RolloutMath.Replicas(olds[i]) - RolloutMath.StatusCount(olds[i], "availableReplicas");
            if (unhealthy <= 0)
            {
                continue;
            }

            var cut = Math.Min(maxScaledDown - cleaned, unhealthy);
            olds[i] = await ScaleReplicaSetAsync(d, olds[i], RolloutMath.Replicas(olds[i]) - cut, cancellationToken);
            cleaned += cut;
        }

        var available = olds.Sum(rs => RolloutMath.StatusCount(rs, "availableReplicas")) + RolloutMath.StatusCount(newRs, "availableReplicas");
        if (available <= minAvailable)
        {
            return;
        }

        var toScaleDown = available - minAvailable;
        var scaled = 0;
        foreach (var rs in olds)
        {
            if (scaled >= toScaleDown)
            {
                break;
            }

            if (RolloutMath.Replicas(rs) == 0)
            {
                continue;
            }

            var cut = Math.Min(RolloutMath.Replicas(rs), toScaleDown - scaled);
            await ScaleReplicaSetAsync(d, rs, RolloutMath.Replicas(rs) - cut, cancellationToken);
            scaled += cut;
        }
    }

    private async Task RecreateAsync(JsonObject d, JsonObject? newRs, List<JsonObject> old, CancellationToken cancellationToken)
    {
        var scaledDown = false;
        foreach (var rs in old.Where(rs => RolloutMath.Replicas(rs) > 0))
        {
            await ScaleReplicaSetAsync(d, rs, 0, cancellationToken);
            scaledDown = true;
        }

        if (scaledDown)
        {
            return;
        }

        // The new pods start only once every old pod is gone.
        var oldUids = old.Select(Owners.Uid).ToHashSet(StringComparer.Ordinal);
        if (_pods.Items.Values.Any(p => Owners.ControllerOf(p)?.GetString("uid") is { } owner && oldUids.Contains(owner) && p.GetString("status.phase") is not ("Succeeded" or "Failed")))
        {
            return;
        }

        if (newRs is not null && RolloutMath.Replicas(newRs) != RolloutMath.Replicas(d))
        {
            await ScaleReplicaSetAsync(d, newRs, RolloutMath.Replicas(d), cancellationToken);
        }
    }

    // Scaling without a rollout (or while paused): the new ReplicaSet takes it all, or the change is spread over
    // the active ReplicaSets in proportion to their size, as kube's proportional scaling does.
    private async Task ScaleAsync(JsonObject d, JsonObject? newRs, List<JsonObject> old, CancellationToken cancellationToken)
    {
        var replicas = RolloutMath.Replicas(d);
        var active = old.Concat(newRs is null ? [] : [newRs]).Where(rs => RolloutMath.Replicas(rs) > 0).ToList();
        if (active.Count == 0 && newRs is not null)
        {
            await ScaleReplicaSetAsync(d, newRs, replicas, cancellationToken);
            return;
        }

        if (active.Count == 1)
        {
            await ScaleReplicaSetAsync(d, active[0], replicas, cancellationToken);
            foreach (var rs in old.Where(rs => !ReferenceEquals(rs, active[0]) && RolloutMath.Replicas(rs) > 0))
            {
                await ScaleReplicaSetAsync(d, rs, 0, cancellationToken);
            }

            return;
        }

        var (surge, _) = RolloutMath.SurgeAndUnavailable(d);
        var allowed = replicas + surge;
        var current = active.Sum(RolloutMath.Replicas);
        var toAdd = allowed - current;
        if (toAdd == 0)
        {
            return;
        }

        // Larger (and, on a scale-up, newer) ReplicaSets first; each gets its share, the last the remainder.
        var ordered = toAdd > 0
            ? active.OrderByDescending(RolloutMath.Replicas).ThenByDescending(rs => rs.GetString("metadata.creationTimestamp"), StringComparer.Ordinal).ToList()
            : active.OrderByDescending(RolloutMath.Replicas).ThenBy(rs => rs.GetString("metadata.creationTimestamp"), StringComparer.Ordinal).ToList();
        var added = 0;
        var sizes = new Dictionary<JsonObject, int>(ReferenceEqualityComparer.Instance);
        foreach (var rs in ordered)
        {
            var share = current == 0 ? 0 : (int)Math.Round((double)RolloutMath.Replicas(rs) * toAdd / current, MidpointRounding.AwayFromZero);
            share = toAdd > 0 ? Math.Min(share, toAdd - added) : Math.Max(share, toAdd - added);
            sizes[rs] = RolloutMath.Replicas(rs) + share;
            added += share;
        }

        sizes[ordered[0]] += toAdd - added;
        foreach (var (rs, size) in sizes)
        {
            await ScaleReplicaSetAsync(d, rs, Math.Max(0, size), cancellationToken);
        }
    }

    private async Task<JsonObject> ScaleReplicaSetAsync(JsonObject d, JsonObject rs, int replicas, CancellationToken cancellationToken)
    {
        var (surge, _) = RolloutMath.SurgeAndUnavailable(d);
        var desired = RolloutMath.Replicas(d).ToString(CultureInfo.InvariantCulture);
        var max = (RolloutMath.Replicas(d) + surge).ToString(CultureInfo.InvariantCulture);
        var annotations = rs.Find("metadata.annotations") as JsonObject;
        if (RolloutMath.Replicas(rs) == replicas && annotations?[DesiredReplicasAnnotation]?.ToString() == desired && annotations?[MaxReplicasAnnotation]?.ToString() == max)
        {
            return rs;
        }

        var updated = (JsonObject)rs.DeepClone();
        updated["spec"]!["replicas"] = replicas;
        var newAnnotations = updated.Find("metadata.annotations") as JsonObject ?? [];
        newAnnotations[DesiredReplicasAnnotation] = desired;
        newAnnotations[MaxReplicasAnnotation] = max;
        updated["metadata"]!["annotations"] = newAnnotations;
        var result = await Client.UpdateAsync(ResourceRef.ReplicaSets, updated, cancellationToken);
        var name = rs.GetString("metadata.name");
        var verb = replicas > RolloutMath.Replicas(rs) ? "up" : "down";
        LogScaled(Logger, d.GetString("metadata.namespace")!, name!, verb, replicas);
        return result;
    }

    // Once the rollout is complete, old ReplicaSets with no replicas beyond revisionHistoryLimit are deleted, oldest first.
    private async Task CleanupAsync(JsonObject d, JsonObject? newRs, List<JsonObject> old, CancellationToken cancellationToken)
    {
        var limit = d.Find("spec.revisionHistoryLimit") is JsonValue l ? l.ToInt() : 10;
        var idle = old.Where(rs => RolloutMath.Replicas(rs) == 0 && RolloutMath.StatusCount(rs, "replicas") == 0 && !Owners.IsBeingDeleted(rs))
            .OrderBy(RolloutMath.Revision).ThenBy(rs => rs.GetString("metadata.creationTimestamp"), StringComparer.Ordinal)
            .ToList();
        foreach (var rs in idle.Take(Math.Max(0, idle.Count - limit)))
        {
            await Client.DeleteAsync(ResourceRef.ReplicaSets, rs.GetString("metadata.namespace"), rs.GetString("metadata.name")!, cancellationToken, uid: Owners.Uid(rs));
        }
    }

    // kube's calculateStatus and syncRolloutStatus.
    private async Task SyncStatusAsync(JsonObject d, JsonObject? newRs, List<JsonObject> all, CancellationToken cancellationToken, bool pausedNow)
    {
        var fresh = _deployments.Get(Informer.KeyOf(d)) ?? d;
        var replicas = RolloutMath.Replicas(fresh);
        var (_, maxUnavailable) = RolloutMath.SurgeAndUnavailable(fresh);
        var old = fresh["status"] as JsonObject ?? [];
        var status = (JsonObject)old.DeepClone();
        var total = all.Sum(rs => RolloutMath.StatusCount(rs, "replicas"));
        var updated = newRs is null ? 0 : RolloutMath.StatusCount(newRs, "replicas");
        var ready = all.Sum(rs => RolloutMath.StatusCount(rs, "readyReplicas"));
        var available = all.Sum(rs => RolloutMath.StatusCount(rs, "availableReplicas"));
        status["observedGeneration"] = fresh.Find("metadata.generation")?.DeepClone() ?? 1;
        SetOrOmit(status, "replicas", total);
        SetOrOmit(status, "updatedReplicas", updated);
        SetOrOmit(status, "readyReplicas", ready);
        SetOrOmit(status, "availableReplicas", available);
        SetOrOmit(status, "unavailableReplicas", Math.Max(0, replicas - available));

        var now = Context.Time.GetUtcNow();
        var stamp = KubeTime.Format(now);
        var conditions = (status["conditions"] as JsonArray)?.OfType<JsonObject>().Select(c => (JsonObject)c.DeepClone()).ToList() ?? [];
        var minimum = available >= replicas - maxUnavailable;
        SetCondition(conditions, "Available", minimum ? "True" : "False",
            minimum ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            minimum ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", stamp);

        var subject = newRs is null ? $"Deployment \"{fresh.GetString("metadata.name")}\"" : $"ReplicaSet \"{newRs.GetString("metadata.name")}\"";
        var progressing = conditions.FirstOrDefault(c => c.GetString("type") == "Progressing");
        var deadline = fresh.Find("spec.progressDeadlineSeconds") is JsonValue p ? p.ToLong() : 600;
        var alreadyComplete = total == updated && progressing?.GetString("reason") == "NewReplicaSetAvailable";
        if (pausedNow)
        {
            SetCondition(conditions, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", stamp);
        }
        else if (!alreadyComplete)
        {
            var complete = updated == replicas && total == replicas && available == replicas;
            var oldOld = RolloutMath.StatusCount(fresh, "replicas") - RolloutMath.StatusCount(fresh, "updatedReplicas");
            var progressed = updated > RolloutMath.StatusCount(fresh, "updatedReplicas") || total - updated < oldOld
                || ready > RolloutMath.StatusCount(fresh, "readyReplicas") || available > RolloutMath.StatusCount(fresh, "availableReplicas");
            if (complete)
            {
                SetCondition(conditions, "Progressing", "True", "NewReplicaSetAvailable", subject + " has successfully progressed.", stamp);
            }
            else if (progressed)
            {
                // Progress moves lastUpdateTime even when reason and message stay (kube's special case).
                var condition = new JsonObject
                {
                    ["type"] = "Progressing",
                    ["status"] = "True",
                    ["lastUpdateTime"] = stamp,
                    ["lastTransitionTime"] = progressing?.GetString("status") == "True" ? progressing["lastTransitionTime"]?.DeepClone() : stamp,
                    ["reason"] = "ReplicaSetUpdated",
                    ["message"] = subject + " is progressing.",
                };
                conditions.RemoveAll(c => c.GetString("type") == "Progressing");
                conditions.Add(condition);
            }
            else if (progressing is not null && progressing.GetString("reason") != "NewReplicaSetAvailable"
                && (progressing.GetString("reason") == "ProgressDeadlineExceeded"
                    || (progressing.GetString("lastUpdateTime") is { } since && DateTimeOffset.Parse(since, CultureInfo.InvariantCulture).AddSeconds(deadline) < now)))
            {
                SetCondition(conditions, "Progressing", "False", "ProgressDeadlineExceeded", subject + " has timed out progressing.", stamp);
            }

            // A rollout that stalls is looked at again when its deadline passes.
            if (!complete)
            {
                Queue.AddAfter(Informer.KeyOf(fresh), TimeSpan.FromSeconds(deadline + 1));
            }
        }

        status["conditions"] = new JsonArray([.. conditions.Select(c => (JsonNode)c)]);
        if (JsonNode.DeepEquals(status, old))
        {
            return;
        }

        var copy = (JsonObject)fresh.DeepClone();
        copy["status"] = status;
        await Client.UpdateAsync(ResourceRef.Deployments, copy, cancellationToken, "status");
    }

    private async Task SetProgressingAsync(JsonObject d, string status, string reason, string message, CancellationToken cancellationToken)
    {
        var fresh = await Client.GetAsync(ResourceRef.Deployments, d.GetString("metadata.namespace"), d.GetString("metadata.name")!, cancellationToken);
        if (fresh is null)
        {
            return;
        }

        var statusObj = fresh["status"] as JsonObject ?? [];
        var conditions = (statusObj["conditions"] as JsonArray)?.OfType<JsonObject>().Select(c => (JsonObject)c.DeepClone()).ToList() ?? [];
        SetCondition(conditions, "Progressing", status, reason, message, KubeTime.Format(Context.Time.GetUtcNow()));
        statusObj["conditions"] = new JsonArray([.. conditions.Select(c => (JsonNode)c)]);
        fresh["status"] = statusObj;
        await Client.UpdateAsync(ResourceRef.Deployments, fresh, cancellationToken, "status");
    }

    // kube keeps lastTransitionTime when the status does not change; lastUpdateTime moves with reason or message.
    private static void SetCondition(List<JsonObject> conditions, string type, string status, string reason, string message, string now)
    {
        var existing = conditions.FirstOrDefault(c => c.GetString("type") == type);
        if (existing is not null && existing.GetString("status") == status && existing.GetString("reason") == reason)
        {
            return;
        }

        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastUpdateTime"] = now,
            ["lastTransitionTime"] = existing is not null && existing.GetString("status") == status ? existing["lastTransitionTime"]?.DeepClone() : now,
            ["reason"] = reason,
            ["message"] = message,
        };
        if (existing is null)
        {
            conditions.Add(condition);
        }
        else
        {
            conditions[conditions.IndexOf(existing)] = condition;
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

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 7501, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "{Namespace}/{ReplicaSet}: scaled {Direction} to {Replicas}")]
    private static partial void LogScaled(Microsoft.Extensions.Logging.ILogger logger, string @namespace, string replicaSet, string direction, int replicas);
}
