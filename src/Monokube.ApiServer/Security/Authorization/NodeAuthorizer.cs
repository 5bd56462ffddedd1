using System.Text.Json.Nodes;
using Monokube.ApiServer.Caching;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// kube-apiserver's Node authorizer: a kubelet (user system:node:&lt;name&gt; in group system:nodes) may do what
/// kubelets need (the system:node rules), but may read only its own Node, the pods bound to it, the Secrets,
/// ConfigMaps, PersistentVolumeClaims and PersistentVolumes those pods use, request tokens only for their service
/// accounts, and touch only its own Lease and CSINode. It never denies outright: it has no opinion, with a reason
/// that ends up in the 403, and RBAC decides next.
/// </summary>
public sealed class NodeAuthorizer(StoreInformer pods, StoreInformer persistentVolumeClaims, StoreInformer volumeAttachments, KubernetesRelease release) : IAuthorizer
{
    private static readonly string[] ContainerLists = ["initContainers", "containers", "ephemeralContainers"];

    private static readonly string[] ReferencedResources = ["secrets", "configmaps", "persistentvolumeclaims"];

    /// <summary>
    /// What the authorizer keeps of a pod: its name, namespace, uid, node and service account, and the names of the
    /// Secrets, ConfigMaps and PersistentVolumeClaims it refers to, worked out once, as plain strings, so that its
    /// cache of every pod stays small (a few hundred bytes a pod, where a copy of the volumes and env held about
    /// twenty JSON objects).
    /// </summary>
    public static JsonObject WhatItReadsOfAPod(JsonObject pod)
    {
        var metadata = new JsonObject();
        foreach (var field in new[] { "name", "namespace", "uid" })
        {
            if (pod.GetString("metadata." + field) is { } value)
            {
                metadata[field] = value;
            }
        }

        var kept = new JsonObject
        {
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["nodeName"] = pod.GetString("spec.nodeName"), ["serviceAccountName"] = ServiceAccountOf(pod) },
        };
        foreach (var resource in ReferencedResources)
        {
            if (References(pod, resource) is { Count: > 0 } names)
            {
                kept[resource] = string.Join('\n', names);
            }
        }

        return kept;
    }

    public const string NodesGroup = "system:nodes";
    public const string NodeUserPrefix = "system:node:";

    private const string NoRelationship = "no relationship found between node '{0}' and this object";

    /// <summary>What a kubelet may do at all: the rules of the release's default system:node ClusterRole.</summary>
    public IReadOnlyList<PolicyRule> NodeRules { get; } = BootstrapPolicy.For(release).RulesOf("system:node");

    public static string? NodeName(UserInfo user) =>
        user.InGroup(NodesGroup) && user.Name.StartsWith(NodeUserPrefix, StringComparison.Ordinal) ? user.Name[NodeUserPrefix.Length..] : null;

    public async ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes a, CancellationToken cancellationToken)
    {
        if (NodeName(a.User) is not { } node)
        {
            return (AuthorizationDecision.NoOpinion, "");
        }

        if (node.Length == 0)
        {
            return (AuthorizationDecision.NoOpinion, $"unknown node for user \"{a.User.Name}\"");
        }

        var (decision, reason) = Decide(node, a);

        // The graph lags the store a little; a kubelet asking right after its pod was bound is answered once the
        // caches have caught up, rather than refused.
        if (decision != AuthorizationDecision.Allow && reason.StartsWith("no relationship", StringComparison.Ordinal))
        {
            await Task.WhenAll(pods.CatchUpAsync(cancellationToken), persistentVolumeClaims.CatchUpAsync(cancellationToken), volumeAttachments.CatchUpAsync(cancellationToken));
            (decision, reason) = Decide(node, a);
        }

        return (decision, reason);
    }

    private (AuthorizationDecision Decision, string Reason) Decide(string node, AuthorizationAttributes a)
    {
        if (!a.IsResourceRequest)
        {
            return Rules(a);
        }

        return (a.ApiGroup, a.Resource) switch
        {
            ("", "secrets" or "configmaps") => ReadNamespaced(node, a),
            ("", "persistentvolumeclaims" or "persistentvolumes") or ("storage.k8s.io", "volumeattachments") => GetIndividual(node, a),
            ("", "serviceaccounts") => CreateToken(node, a),

            // Nodes and pods are subdivided since kube 1.32 (AuthorizeNodeWithSelectors); before, the rules decide.
            ("", "nodes") when release.HasNodeRestrictionsOf133 => NodeAccess(node, a),
            ("", "pods") when release.HasNodeRestrictionsOf133 => PodAccess(node, a),
            ("coordination.k8s.io", "leases") => OwnObject(node, a, "leases", "a node lease",
                "can only access node lease with the same name as the requesting node", "kube-node-lease"),
            ("storage.k8s.io", "csinodes") => OwnObject(node, a, "csinodes", "a CSINode",
                "can only access CSINode with the same name as the requesting node", null),
            _ => Rules(a),
        };
    }

    private (AuthorizationDecision, string) Rules(AuthorizationAttributes a) =>
        NodeRules.Any(r => r.Matches(a)) ? (AuthorizationDecision.Allow, "") : (AuthorizationDecision.NoOpinion, "");

    private static (AuthorizationDecision, string) Allow() => (AuthorizationDecision.Allow, "");

    private static (AuthorizationDecision, string) NoOpinion(string reason) => (AuthorizationDecision.NoOpinion, reason);

    private (AuthorizationDecision, string) ReadNamespaced(string node, AuthorizationAttributes a)
    {
        if (a.Verb is not ("get" or "list" or "watch"))
        {
            return NoOpinion("can only read resources of this type");
        }

        if (a.Subresource.Length > 0)
        {
            return NoOpinion("cannot read subresource");
        }

        if (a.Namespace.Length == 0)
        {
            return NoOpinion("can only read namespaced object of this type");
        }

        if (a.Name.Length == 0)
        {
            return NoOpinion("No Object name found");
        }

        return Referenced(node, a.Resource, a.Namespace, a.Name) ? Allow() : NoOpinion(string.Format(System.Globalization.CultureInfo.InvariantCulture, NoRelationship, node));
    }

    private (AuthorizationDecision, string) GetIndividual(string node, AuthorizationAttributes a)
    {
        var statusUpdate = a.Resource == "persistentvolumeclaims" && a.Subresource == "status";
        if (statusUpdate ? a.Verb is not ("get" or "update" or "patch") : a.Verb != "get")
        {
            return NoOpinion(statusUpdate ? "can only get/update/patch this type" : "can only get individual resources of this type");
        }

        if (a.Subresource.Length > 0 && !statusUpdate)
        {
            return NoOpinion("cannot get subresource");
        }

        if (a.Name.Length == 0)
        {
            return NoOpinion("No Object name found");
        }

        var related = a.Resource switch
        {
            "persistentvolumeclaims" => Referenced(node, a.Resource, a.Namespace, a.Name),
            "persistentvolumes" => BoundVolumes(node).Contains(a.Name),
            _ => volumeAttachments.Items.TryGetValue("/volumeattachments/" + a.Name, out var attachment) && attachment.GetString("spec.nodeName") == node,
        };
        return related ? Allow() : NoOpinion(string.Format(System.Globalization.CultureInfo.InvariantCulture, NoRelationship, node));
    }

    private (AuthorizationDecision, string) CreateToken(string node, AuthorizationAttributes a)
    {
        if (!release.HasNodeRestrictionsOf133 && (a.Verb != "create" || a.Name.Length == 0))
        {
            return NoOpinion("can only create tokens for individual service accounts");
        }

        if (a.Subresource != "token")
        {
            return a.Subresource.Length == 0 && release.HasNodeRestrictionsOf133 ? Rules(a) : NoOpinion("can only create token subresource of serviceaccount");
        }

        if (a.Verb != "create" || a.Name.Length == 0)
        {
            return NoOpinion("can only create tokens for individual service accounts");
        }

        var used = PodsOn(node).Any(p => p.GetString("metadata.namespace") == a.Namespace && ServiceAccountOf(p) == a.Name);
        return used ? Allow() : NoOpinion(string.Format(System.Globalization.CultureInfo.InvariantCulture, NoRelationship, node));
    }

    private (AuthorizationDecision, string) NodeAccess(string node, AuthorizationAttributes a)
    {
        if (a.Verb is "get" or "list" or "watch" && a.Subresource.Length == 0)
        {
            if (a.Name.Length == 0)
            {
                return NoOpinion($"node '{node}' cannot read all nodes, only its own Node object");
            }

            if (a.Name != node)
            {
                return NoOpinion($"node '{node}' cannot read '{a.Name}', only its own Node object");
            }
        }

        return Rules(a);
    }

    private (AuthorizationDecision, string) PodAccess(string node, AuthorizationAttributes a)
    {
        if (a.Subresource.Length > 0 || a.Verb is not ("get" or "list" or "watch"))
        {
            return Rules(a);
        }

        if (a.Verb is "list" or "watch" && a.Name.Length == 0)
        {
            return SelectsNode(a.FieldSelector, node) ? Allow() : NoOpinion("can only list/watch pods with spec.nodeName field selector");
        }

        if (a.Name.Length == 0)
        {
            return NoOpinion("can only get individual resources of this type");
        }

        return pods.Items.TryGetValue($"/pods/{a.Namespace}/{a.Name}", out var pod) && pod.GetString("spec.nodeName") == node
            ? Allow()
            : NoOpinion(string.Format(System.Globalization.CultureInfo.InvariantCulture, NoRelationship, node));
    }

    private (AuthorizationDecision, string) OwnObject(string node, AuthorizationAttributes a, string resource, string what, string wrongName, string? requiredNamespace)
    {
        if (a.Subresource.Length > 0 && resource == "csinodes")
        {
            return NoOpinion("cannot authorize CSINode subresources");
        }

        if (a.Verb is not ("get" or "create" or "update" or "patch" or "delete"))
        {
            return NoOpinion($"can only get, create, update, patch, or delete {what}");
        }

        if (requiredNamespace is not null && a.Namespace != requiredNamespace)
        {
            return NoOpinion($"can only access leases in the \"{requiredNamespace}\" system namespace");
        }

        if (a.Verb != "create" && a.Name != node)
        {
            return NoOpinion(wrongName);
        }

        return Rules(a);
    }

    // spec.nodeName=<node> (or ==) among the terms of a field selector.
    private static bool SelectsNode(string selector, string node) =>
        selector.Split(',').Select(t => t.Trim()).Any(t => t == "spec.nodeName=" + node || t == "spec.nodeName==" + node);

    // Pods are stored with their service account named; mirror pods have none.
    private static string? ServiceAccountOf(JsonObject pod) =>
        pod.GetString("spec.serviceAccountName") is { Length: > 0 } name ? name : pod.GetString("spec.serviceAccount") is { Length: > 0 } legacy ? legacy : null;

    private IEnumerable<JsonObject> PodsOn(string node) =>
        pods.Items.Values.Where(p => p.GetString("spec.nodeName") == node);

    private bool Referenced(string node, string resource, string ns, string name)
    {
        foreach (var pod in PodsOn(node).Where(p => p.GetString("metadata.namespace") == ns))
        {
            if (KeptReferences(pod, resource).Contains(name))
            {
                return true;
            }
        }

        return false;
    }

    private HashSet<string> BoundVolumes(string node)
    {
        var volumes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pod in PodsOn(node))
        {
            var ns = pod.GetString("metadata.namespace");
            foreach (var claim in KeptReferences(pod, "persistentvolumeclaims"))
            {
                if (persistentVolumeClaims.Items.TryGetValue($"/persistentvolumeclaims/{ns}/{claim}", out var pvc) && pvc.GetString("spec.volumeName") is { } volume)
                {
                    volumes.Add(volume);
                }
            }
        }

        return volumes;
    }

    // The names a pod kept by WhatItReadsOfAPod refers to.
    private static string[] KeptReferences(JsonObject pod, string resource) =>
        pod.GetString(resource) is { } names ? names.Split('\n') : [];

    /// <summary>The Secrets, ConfigMaps or PersistentVolumeClaims a pod refers to: volumes, env, envFrom, pull secrets.</summary>
    public static HashSet<string> References(JsonObject pod, string resource)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var spec = pod.GetObject("spec");
        if (spec is null)
        {
            return names;
        }

        foreach (var volume in (spec["volumes"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            switch (resource)
            {
                case "secrets":
                    Add(names, volume.GetString("secret.secretName"));
                    break;
                case "configmaps":
                    Add(names, volume.GetString("configMap.name"));
                    break;
                case "persistentvolumeclaims":
                    Add(names, volume.GetString("persistentVolumeClaim.claimName"));
                    break;
            }

            foreach (var source in (volume.Find("projected.sources") as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                Add(names, resource == "secrets" ? source.GetString("secret.name") : resource == "configmaps" ? source.GetString("configMap.name") : null);
            }
        }

        if (resource == "secrets")
        {
            foreach (var pull in (spec["imagePullSecrets"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                Add(names, pull.GetString("name"));
            }
        }

        foreach (var list in ContainerLists)
        {
            foreach (var container in (spec[list] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                foreach (var env in (container["env"] as JsonArray)?.OfType<JsonObject>() ?? [])
                {
                    Add(names, resource == "secrets" ? env.GetString("valueFrom.secretKeyRef.name") : resource == "configmaps" ? env.GetString("valueFrom.configMapKeyRef.name") : null);
                }

                foreach (var from in (container["envFrom"] as JsonArray)?.OfType<JsonObject>() ?? [])
                {
                    Add(names, resource == "secrets" ? from.GetString("secretRef.name") : resource == "configmaps" ? from.GetString("configMapRef.name") : null);
                }
            }
        }

        return names;
    }

    private static void Add(HashSet<string> names, string? name)
    {
        if (!string.IsNullOrEmpty(name))
        {
            names.Add(name);
        }
    }
}
