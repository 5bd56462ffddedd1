using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// What kube-apiserver fills in that a client did not send, for the kinds whose defaults live nowhere else in
/// monokube: its SetDefaults functions (a PersistentVolume's reclaim policy, a StorageClass's binding mode, a
/// NetworkPolicy's policy types...), and the fields its Go encoder always writes (empty statuses, a template's
/// creationTimestamp: null). Applied to what is created and updated, so the stored object is what kube-apiserver
/// would store and reads the same through either server; the statuses kube resets on create and defaults on read
/// (a volume's phase, a Job's labels) are also given on read.
/// </summary>
public static class KubeDefaults
{
    private static readonly JsonObject EmptyObject = [];

    /// <summary>Fills in the kind's defaults where the object has none; whether the kind has any.</summary>
    public static bool Apply(ResourceDefinition resource, JsonObject obj)
    {
        switch (resource.Group, resource.Kind)
        {
            case ("", "PersistentVolumeClaim"):
                SetIfMissing(obj.GetOrAddObject("spec"), "volumeMode", "Filesystem");
                SetIfMissing(obj.GetOrAddObject("status"), "phase", "Pending");
                return true;
            case ("", "PersistentVolume"):
                var pv = obj.GetOrAddObject("spec");
                SetIfMissing(pv, "persistentVolumeReclaimPolicy", "Retain");
                SetIfMissing(pv, "volumeMode", "Filesystem");
                if (pv["hostPath"] is JsonObject hostPath)
                {
                    SetIfMissing(hostPath, "type", "");
                }

                SetIfMissing(obj.GetOrAddObject("status"), "phase", "Pending");
                return true;
            case ("", "PodTemplate"):
                if (obj["template"] is JsonObject template)
                {
                    Template(template);
                }

                return true;
            case ("", "ReplicationController"):
                var rc = obj.GetOrAddObject("spec");
                SetIfMissing(rc, "replicas", 1);
                if (rc.Find("template.metadata.labels") is JsonObject templateLabels && templateLabels.Count > 0)
                {
                    if (rc["selector"] is not JsonObject { Count: > 0 })
                    {
                        rc["selector"] = templateLabels.DeepClone();
                    }

                    if (obj.Find("metadata.labels") is not JsonObject { Count: > 0 })
                    {
                        obj.GetOrAddObject("metadata")["labels"] = templateLabels.DeepClone();
                    }
                }

                if (rc["template"] is JsonObject rcTemplate)
                {
                    Template(rcTemplate);
                }

                SetIfMissing(obj.GetOrAddObject("status"), "replicas", 0);
                return true;
            case ("", "Event"):
                foreach (var field in (ReadOnlySpan<string>)["eventTime", "firstTimestamp", "lastTimestamp"])
                {
                    SetIfMissing(obj, field, null);
                }

                SetIfMissing(obj, "reportingComponent", "");
                SetIfMissing(obj, "reportingInstance", "");
                SetIfMissing(obj, "source", EmptyObject);
                return true;
            case ("events.k8s.io", "Event"):
                SetIfMissing(obj, "deprecatedFirstTimestamp", null);
                SetIfMissing(obj, "deprecatedLastTimestamp", null);
                SetIfMissing(obj, "deprecatedSource", EmptyObject);
                return true;
            case ("", "Node"):
                var node = obj.GetOrAddObject("status");
                SetIfMissing(node, "daemonEndpoints", new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = 0 } });
                var info = node["nodeInfo"] as JsonObject ?? [];
                foreach (var field in (ReadOnlySpan<string>)["machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion", "kubeletVersion", "kubeProxyVersion", "operatingSystem", "architecture"])
                {
                    SetIfMissing(info, field, "");
                }

                node["nodeInfo"] = info;
                return true;
            case ("", "ResourceQuota"):
                SetIfMissing(obj, "status", EmptyObject);
                return true;
            case ("apps", "ReplicaSet"):
                SetIfMissing(obj.GetOrAddObject("status"), "replicas", 0);
                TemplateOf(obj);
                return true;
            case ("apps", "StatefulSet"):
                var sts = obj.GetOrAddObject("status");
                SetIfMissing(sts, "replicas", 0);
                SetIfMissing(sts, "availableReplicas", 0);
                TemplateOf(obj);
                return true;
            case ("apps", "DaemonSet"):
                var ds = obj.GetOrAddObject("status");
                foreach (var field in (ReadOnlySpan<string>)["currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady"])
                {
                    SetIfMissing(ds, field, 0);
                }

                TemplateOf(obj);
                return true;
            case ("apps", "Deployment"):
                SetIfMissing(obj, "status", EmptyObject);
                TemplateOf(obj);
                return true;
            case ("batch", "Job"):
                SetIfMissing(obj, "status", EmptyObject);
                if (obj.Find("spec.template.metadata.labels") is JsonObject { Count: > 0 } jobLabels && obj.Find("metadata.labels") is not JsonObject { Count: > 0 })
                {
                    obj.GetOrAddObject("metadata")["labels"] = jobLabels.DeepClone();
                }

                TemplateOf(obj);
                return true;
            case ("batch", "CronJob"):
                SetIfMissing(obj, "status", EmptyObject);
                if (obj.Find("spec.jobTemplate") is JsonObject jobTemplate)
                {
                    SetIfMissing(jobTemplate.GetOrAddObject("metadata"), "creationTimestamp", null);
                    if (jobTemplate.Find("spec.template") is JsonObject podTemplate)
                    {
                        SetIfMissing(podTemplate.GetOrAddObject("metadata"), "creationTimestamp", null);
                    }
                }

                return true;
            case ("autoscaling", "HorizontalPodAutoscaler"):
                var hpa = obj.GetOrAddObject("status");
                SetIfMissing(hpa, "currentMetrics", null);
                SetIfMissing(hpa, "desiredReplicas", 0);
                return true;
            case ("policy", "PodDisruptionBudget"):
                var pdb = obj.GetOrAddObject("status");
                foreach (var field in (ReadOnlySpan<string>)["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"])
                {
                    SetIfMissing(pdb, field, 0);
                }

                return true;
            case ("networking.k8s.io", "NetworkPolicy"):
                var policy = obj.GetOrAddObject("spec");
                if (policy["policyTypes"] is not JsonArray { Count: > 0 })
                {
                    policy["policyTypes"] = policy["egress"] is JsonArray { Count: > 0 } ? new JsonArray("Ingress", "Egress") : new JsonArray("Ingress");
                }

                foreach (var rules in new[] { policy["ingress"], policy["egress"] })
                {
                    foreach (var port in (rules as JsonArray ?? []).OfType<JsonObject>().SelectMany(r => (r["ports"] as JsonArray ?? []).OfType<JsonObject>()))
                    {
                        SetIfMissing(port, "protocol", "TCP");
                    }
                }

                SetIfMissing(obj, "status", EmptyObject);
                return true;
            case ("networking.k8s.io", "Ingress"):
                SetIfMissing(obj.GetOrAddObject("status"), "loadBalancer", EmptyObject);
                return true;
            case ("discovery.k8s.io", "EndpointSlice"):
                foreach (var port in (obj["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    SetIfMissing(port, "protocol", "TCP");
                    SetIfMissing(port, "name", "");
                }

                foreach (var endpoint in (obj["endpoints"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    SetIfMissing(endpoint, "conditions", EmptyObject);
                }

                return true;
            case ("scheduling.k8s.io", "PriorityClass"):
                SetIfMissing(obj, "preemptionPolicy", "PreemptLowerPriority");
                return true;
            case ("storage.k8s.io", "StorageClass"):
                SetIfMissing(obj, "reclaimPolicy", "Delete");
                SetIfMissing(obj, "volumeBindingMode", "Immediate");
                return true;
            case ("storage.k8s.io", "CSIDriver"):
                var driver = obj.GetOrAddObject("spec");
                SetIfMissing(driver, "attachRequired", true);
                SetIfMissing(driver, "podInfoOnMount", false);
                SetIfMissing(driver, "storageCapacity", false);
                SetIfMissing(driver, "fsGroupPolicy", "ReadWriteOnceWithFSType");
                SetIfMissing(driver, "requiresRepublish", false);
                if (driver["volumeLifecycleModes"] is not JsonArray { Count: > 0 })
                {
                    driver["volumeLifecycleModes"] = new JsonArray("Persistent");
                }

                return true;
            case ("storage.k8s.io", "CSINode"):
                foreach (var d in (obj.Find("spec.drivers") as JsonArray ?? []).OfType<JsonObject>())
                {
                    SetIfMissing(d, "topologyKeys", null);
                }

                return true;
            case ("storage.k8s.io", "VolumeAttachment"):
                SetIfMissing(obj.GetOrAddObject("status"), "attached", false);
                return true;
            case ("certificates.k8s.io", "CertificateSigningRequest"):
                SetIfMissing(obj, "status", EmptyObject);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Whether reads fill in defaults too: the statuses kube resets on create and defaults when it decodes.</summary>
    public static bool AppliesOnRead(ResourceDefinition resource) =>
        (resource.Group, resource.Kind) is ("", "PersistentVolumeClaim" or "PersistentVolume") or ("batch", "Job");

    private static void TemplateOf(JsonObject workload)
    {
        if (workload.Find("spec.template") is JsonObject template)
        {
            SetIfMissing(template.GetOrAddObject("metadata"), "creationTimestamp", null);
        }
    }

    // A pod template: its metadata's creationTimestamp as Go writes a zero time, and the pod spec's defaults.
    private static void Template(JsonObject template)
    {
        SetIfMissing(template.GetOrAddObject("metadata"), "creationTimestamp", null);
        if (template["spec"] is JsonObject spec)
        {
            PodDefaults.ApplyToPodSpec(spec);
        }
    }

    private static void SetIfMissing(JsonObject obj, string name, JsonNode? value)
    {
        if (!obj.ContainsKey(name))
        {
            obj[name] = value?.DeepClone();
        }
    }
}
