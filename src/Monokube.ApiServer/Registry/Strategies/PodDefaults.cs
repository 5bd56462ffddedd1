using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// The defaults kube-apiserver gives a pod spec, also inside workload templates (SetDefaults_PodSpec and the
/// defaults of the types it holds), the pod-only ones (SetDefaults_Pod), and a pod's QoS class. Templates must get
/// exactly kube's defaults: kube-controller-manager hashes them into ReplicaSet and ControllerRevision names.
/// </summary>
public static class PodDefaults
{
    /// <summary>
    /// What only Pods get, not templates: enableServiceLinks, requests copied from limits, and on the host's network
    /// each port's hostPort (its containerPort), which the scheduler then keeps free (templates are left alone since
    /// kube 1.28).
    /// </summary>
    public static void ApplyToPod(JsonObject spec)
    {
        ApplyToPodSpec(spec);
        SetIfMissing(spec, "enableServiceLinks", true);
        var hostNetwork = spec["hostNetwork"] is JsonValue host && host.TryGetValue<bool>(out var onHost) && onHost;
        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var container in (spec[list] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                foreach (var port in hostNetwork ? (container["ports"] as JsonArray)?.OfType<JsonObject>() ?? [] : [])
                {
                    if ((port.GetLong("hostPort") ?? 0) == 0 && port["containerPort"] is { } containerPort)
                    {
                        port["hostPort"] = containerPort.DeepClone();
                    }
                }

                if (container.Find("resources.limits") is JsonObject limits && container["resources"] is JsonObject resources)
                {
                    var requests = resources["requests"] as JsonObject ?? [];
                    foreach (var (name, value) in limits)
                    {
                        if (!requests.ContainsKey(name))
                        {
                            requests[name] = value?.DeepClone();
                        }
                    }

                    resources["requests"] = requests;
                }
            }
        }
    }

    public static void ApplyToPodSpec(JsonObject spec)
    {
        SetIfMissing(spec, "dnsPolicy", "ClusterFirst");
        SetIfMissing(spec, "restartPolicy", "Always");
        SetIfMissing(spec, "terminationGracePeriodSeconds", 30);
        SetIfMissing(spec, "schedulerName", "default-scheduler");
        if (spec["securityContext"] is null)
        {
            spec["securityContext"] = new JsonObject();
        }

        foreach (var volume in (spec["volumes"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            ApplyToVolume(volume);
        }

        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            if (spec[list] is not JsonArray containers)
            {
                continue;
            }

            foreach (var container in containers.OfType<JsonObject>())
            {
                ApplyToContainer(container);
            }
        }
    }

    // SetDefaults_Volume and the defaults of each volume source.
    private static void ApplyToVolume(JsonObject volume)
    {
        if (!volume.Any(p => p.Key != "name"))
        {
            volume["emptyDir"] = new JsonObject();
        }

        foreach (var source in new[] { "configMap", "secret", "downwardAPI", "projected" })
        {
            if (volume[source] is JsonObject sourceObject)
            {
                SetIfMissing(sourceObject, "defaultMode", 420);
            }
        }

        if (volume["hostPath"] is JsonObject hostPath)
        {
            SetIfMissing(hostPath, "type", "");
        }

        foreach (var projection in (volume.Find("projected.sources") as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            if (projection["serviceAccountToken"] is JsonObject token)
            {
                SetIfMissing(token, "expirationSeconds", 3600);
            }

            foreach (var item in (projection.Find("downwardAPI.items") as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                DefaultFieldRef(item["fieldRef"] as JsonObject);
            }
        }

        foreach (var item in (volume.Find("downwardAPI.items") as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            DefaultFieldRef(item["fieldRef"] as JsonObject);
        }

        if (volume["iscsi"] is JsonObject iscsi)
        {
            SetIfMissing(iscsi, "iscsiInterface", "default");
        }

        if (volume["rbd"] is JsonObject rbd)
        {
            SetIfMissing(rbd, "pool", "rbd");
            SetIfMissing(rbd, "user", "admin");
            SetIfMissing(rbd, "keyring", "/etc/ceph/keyring");
        }

        if (volume["azureDisk"] is JsonObject azureDisk)
        {
            SetIfMissing(azureDisk, "cachingMode", "ReadWrite");
            SetIfMissing(azureDisk, "fsType", "ext4");
            SetIfMissing(azureDisk, "readOnly", false);
            SetIfMissing(azureDisk, "kind", "Shared");
        }

        if (volume["scaleIO"] is JsonObject scaleIo)
        {
            SetIfMissing(scaleIo, "storageMode", "ThinProvisioned");
            SetIfMissing(scaleIo, "fsType", "xfs");
        }
    }

    private static void DefaultFieldRef(JsonObject? fieldRef)
    {
        if (fieldRef is not null)
        {
            SetIfMissing(fieldRef, "apiVersion", "v1");
        }
    }

    // SetDefaults_Probe, and SetDefaults_HTTPGetAction wherever an httpGet appears (probes and lifecycle hooks).
    private static void ApplyToProbe(JsonObject? probe)
    {
        if (probe is null)
        {
            return;
        }

        SetIfMissing(probe, "timeoutSeconds", 1);
        SetIfMissing(probe, "periodSeconds", 10);
        SetIfMissing(probe, "successThreshold", 1);
        SetIfMissing(probe, "failureThreshold", 3);
        ApplyToHttpGet(probe["httpGet"] as JsonObject);
    }

    private static void ApplyToHttpGet(JsonObject? httpGet)
    {
        if (httpGet is not null)
        {
            SetIfMissing(httpGet, "path", "/");
            SetIfMissing(httpGet, "scheme", "HTTP");
        }
    }

    public static void ApplyToContainer(JsonObject container)
    {
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            ApplyToProbe(container[probe] as JsonObject);
        }

        foreach (var hook in new[] { "postStart", "preStop" })
        {
            ApplyToHttpGet(container.Find("lifecycle." + hook + ".httpGet") as JsonObject);
        }

        foreach (var env in (container["env"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            DefaultFieldRef(env.Find("valueFrom.fieldRef") as JsonObject);
        }

        SetIfMissing(container, "terminationMessagePath", "/dev/termination-log");
        SetIfMissing(container, "terminationMessagePolicy", "File");
        if (container["imagePullPolicy"] is null && container.GetString("image") is { } image)
        {
            container["imagePullPolicy"] = PullPolicyFor(image);
        }

        if (container["resources"] is null)
        {
            container["resources"] = new JsonObject();
        }

        if (container["ports"] is JsonArray ports)
        {
            foreach (var port in ports.OfType<JsonObject>())
            {
                SetIfMissing(port, "protocol", "TCP");
            }
        }
    }

    /// <summary>Always for ":latest" or an untagged image, IfNotPresent otherwise (a digest counts as a tag).</summary>
    public static string PullPolicyFor(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        var lastSlash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        if (colon <= lastSlash)
        {
            return "Always";
        }

        return image[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    public static string QosClass(JsonObject spec)
    {
        var containers = new List<JsonObject>();
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec[list] is JsonArray items)
            {
                containers.AddRange(items.OfType<JsonObject>());
            }
        }

        var anySet = false;
        var guaranteed = containers.Count > 0;
        foreach (var container in containers)
        {
            var requests = container.GetObject("resources")?.GetObject("requests");
            var limits = container.GetObject("resources")?.GetObject("limits");
            anySet |= requests is { Count: > 0 } || limits is { Count: > 0 };
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var limit = limits?[resource]?.ToString();
                var request = requests?[resource]?.ToString() ?? limit;
                if (limit is null || request != limit)
                {
                    guaranteed = false;
                }
            }
        }

        return !anySet ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static void SetIfMissing(JsonObject obj, string name, JsonNode value)
    {
        if (obj[name] is null)
        {
            obj[name] = value;
        }
    }
}
