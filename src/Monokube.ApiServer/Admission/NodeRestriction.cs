using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Security.Authorization;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Admission;

/// <summary>
/// kube-apiserver's NodeRestriction admission plugin: a kubelet (system:node:&lt;name&gt; in system:nodes) may write
/// only its own Node (not its taints, nor labels outside the kubelet's set), mirror pods bound to itself, the status of
/// its pods, its own Lease and CSINode, the status of PVCs, tokens for pods on itself, and its own node CSRs.
/// </summary>
public sealed class NodeRestriction(IObjectStore store, ResourceRegistry registry, AuthorizerChain authorizer, KubernetesRelease release) : IAdmissionPlugin
{
    private const string MirrorAnnotation = "kubernetes.io/config.mirror";

    private static readonly HashSet<string> KubeletLabels = new(StringComparer.Ordinal)
    {
        "kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
        "topology.kubernetes.io/zone", "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region", "beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
    };

    public async ValueTask ValidateAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (NodeAuthorizer.NodeName(request.User) is not { } node)
        {
            return;
        }

        if (node.Length == 0)
        {
            throw Forbidden(request, $"could not determine node from user \"{request.User.Name}\"");
        }

        switch (request.Resource.Group, request.Resource.Plural)
        {
            case ("", "pods"):
                await PodAsync(request, node, cancellationToken);
                break;
            case ("", "nodes"):
                NodeObject(request, node);
                break;
            case ("", "persistentvolumeclaims"):
                PersistentVolumeClaim(request, node);
                break;
            case ("", "serviceaccounts") when request.Subresource == "token":
                await TokenRequestAsync(request, node, cancellationToken);
                break;
            case ("coordination.k8s.io", "leases"):
                if (request.Namespace != "kube-node-lease")
                {
                    throw Forbidden(request, "can only access leases in the \"kube-node-lease\" system namespace");
                }

                if (request.Name != node)
                {
                    throw Forbidden(request, "can only access node lease with the same name as the requesting node");
                }

                break;
            case ("storage.k8s.io", "csinodes") when request.Name != node:
                throw Forbidden(request, "can only access CSINode with the same name as the requesting node");
            case ("certificates.k8s.io", "certificatesigningrequests") when request.Operation == AdmissionOperation.Create:
                CertificateSigningRequest(request, node);
                break;
        }
    }

    private async Task PodAsync(AdmissionRequest request, string node, CancellationToken cancellationToken)
    {
        switch (request.Subresource)
        {
            case "":
                if (request.Operation == AdmissionOperation.Create)
                {
                    await MirrorPodAsync(request, node, request.Object!, cancellationToken);
                }
                else if (request.Operation == AdmissionOperation.Delete)
                {
                    if (request.OldObject?.GetString("spec.nodeName") != node)
                    {
                        throw Forbidden(request, $"node \"{node}\" can only delete pods with spec.nodeName set to itself");
                    }
                }
                else
                {
                    throw Forbidden(request, $"unexpected operation \"UPDATE\", node \"{node}\" can only create and delete mirror pods");
                }

                break;
            case "status":
                if (request.OldObject?.GetString("spec.nodeName") != node)
                {
                    throw Forbidden(request, $"node \"{node}\" can only update pod status for pods with spec.nodeName set to itself");
                }

                if (!JsonNode.DeepEquals(request.Object?.Find("metadata.labels"), request.OldObject?.Find("metadata.labels")))
                {
                    throw Forbidden(request, $"node \"{node}\" cannot update labels through pod status");
                }

                break;
            case "eviction":
                var pod = await ReadAsync("pods", request.Namespace, request.Name, cancellationToken)
                    ?? throw new ApiException(Statuses.NotFound("", "pod", request.Name));
                if (pod.GetString("spec.nodeName") != node)
                {
                    throw Forbidden(request, $"node {node} can only evict pods with spec.nodeName set to itself");
                }

                break;
            default:
                throw Forbidden(request, $"unexpected pod subresource \"{request.Subresource}\", only 'status' and 'eviction' are allowed");
        }
    }

    private async Task MirrorPodAsync(AdmissionRequest request, string node, JsonObject pod, CancellationToken cancellationToken)
    {
        if (new ObjectMeta(pod).Annotations?[MirrorAnnotation] is null)
        {
            throw Forbidden(request, $"pod does not have \"{MirrorAnnotation}\" annotation, node \"{node}\" can only create mirror pods");
        }

        if (pod.GetString("spec.nodeName") != node)
        {
            throw Forbidden(request, $"node \"{node}\" can only create pods with spec.nodeName set to itself");
        }

        var owners = (pod.Find("metadata.ownerReferences") as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (owners.Count > 1)
        {
            throw Forbidden(request, $"node \"{node}\" can only create pods with a single owner reference set to itself");
        }

        if (owners.Count == 0 || owners[0].GetString("apiVersion") != "v1" || owners[0].GetString("kind") != "Node" || owners[0].GetString("name") != node)
        {
            throw Forbidden(request, $"node \"{node}\" can only create pods with an owner reference set to itself");
        }

        var owner = owners[0];
        if (owner["controller"]?.GetValueKind() != System.Text.Json.JsonValueKind.True)
        {
            throw Forbidden(request, $"node \"{node}\" can only create pods with a controller owner reference set to itself");
        }

        if (owner["blockOwnerDeletion"]?.GetValueKind() == System.Text.Json.JsonValueKind.True)
        {
            throw Forbidden(request, $"node \"{node}\" must not set blockOwnerDeletion on an owner reference");
        }

        var nodeObject = await ReadAsync("nodes", null, node, cancellationToken) ?? throw new ApiException(Statuses.NotFound("", "node", node));
        var nodeUid = nodeObject.GetString("metadata.uid");
        if (owner.GetString("uid") != nodeUid)
        {
            throw Forbidden(request, $"node {node} UID mismatch: expected {owner.GetString("uid")} got {nodeUid}");
        }

        var spec = pod.GetObject("spec") ?? [];
        if (!string.IsNullOrEmpty(spec.GetString("serviceAccountName")))
        {
            throw Forbidden(request, $"node \"{node}\" can not create pods that reference a service account");
        }

        if (NodeAuthorizer.References(pod, "secrets").Count > 0)
        {
            throw Forbidden(request, $"node \"{node}\" can not create pods that reference secrets");
        }

        if (NodeAuthorizer.References(pod, "configmaps").Count > 0)
        {
            throw Forbidden(request, $"node \"{node}\" can not create pods that reference configmaps");
        }

        var volumes = (spec["volumes"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (volumes.Any(v => (v.Find("projected.sources") as JsonArray)?.OfType<JsonObject>().Any(s => s["clusterTrustBundle"] is not null) == true))
        {
            throw Forbidden(request, $"node \"{node}\" can not create pods that reference clustertrustbundles");
        }

        if (volumes.Any(v => v["persistentVolumeClaim"] is not null))
        {
            throw Forbidden(request, $"node \"{node}\" can not create pods that reference persistentvolumeclaims");
        }

        if (spec["resourceClaims"] is JsonArray { Count: > 0 })
        {
            throw Forbidden(request, $"node \"{node}\" can not create pods that reference resourceclaims");
        }
    }

    private void NodeObject(AdmissionRequest request, string node)
    {
        if (request.Name != node)
        {
            throw Forbidden(request, $"node \"{node}\" is not allowed to modify node \"{request.Name}\"");
        }

        if (request.Operation == AdmissionOperation.Delete || request.Object is not { } obj)
        {
            return;
        }

        var old = request.OldObject;
        if (request.Operation == AdmissionOperation.Create)
        {
            if (obj.Find("spec.configSource") is JsonObject)
            {
                throw Forbidden(request, $"node \"{node}\" is not allowed to create pods with a non-nil configSource");
            }

            if (ForbiddenLabels(obj, null) is { Count: > 0 } created)
            {
                throw Forbidden(request, $"node \"{node}\" is not allowed to set the following labels: {string.Join(", ", created)}");
            }

            return;
        }

        if (obj.Find("spec.configSource") is JsonObject source && !JsonNode.DeepEquals(source, old?.Find("spec.configSource")))
        {
            throw Forbidden(request, $"node \"{node}\" is not allowed to update configSource to a new non-nil configSource");
        }

        if (!SameList(obj.Find("spec.taints"), old?.Find("spec.taints")))
        {
            throw Forbidden(request, $"node \"{node}\" is not allowed to modify taints");
        }

        // Since kube 1.29 (not in 1.26): a node may not change its own ownerReferences.
        if (release.HasNodeRestrictionsOf133 && !SameList(obj.Find("metadata.ownerReferences"), old?.Find("metadata.ownerReferences")))
        {
            throw Forbidden(request, $"node \"{node}\" is not allowed to modify ownerReferences");
        }

        if (ForbiddenLabels(obj, old) is { Count: > 0 } modified)
        {
            throw Forbidden(request, $"is not allowed to modify labels: {string.Join(", ", modified)}");
        }
    }

    private static void PersistentVolumeClaim(AdmissionRequest request, string node)
    {
        if (request.Subresource != "status")
        {
            throw Forbidden(request, "may only update PVC status");
        }

        if (request.Operation != AdmissionOperation.Update)
        {
            throw Forbidden(request, $"unexpected operation \"{request.Operation.ToString().ToUpperInvariant()}\"");
        }

        static JsonObject Strip(JsonObject? pvc)
        {
            var copy = (JsonObject?)pvc?.DeepClone() ?? [];
            if (copy["metadata"] is JsonObject meta)
            {
                meta.Remove("resourceVersion");
                meta.Remove("managedFields");
            }

            if (copy["status"] is JsonObject status)
            {
                foreach (var field in new[] { "capacity", "conditions", "allocatedResources", "allocatedResourceStatuses" })
                {
                    status.Remove(field);
                }
            }

            return copy;
        }

        if (!JsonNode.DeepEquals(Strip(request.Object), Strip(request.OldObject)))
        {
            throw Forbidden(request, $"node \"{node}\" is not allowed to update fields other than status.quantity and status.conditions");
        }
    }

    private async Task TokenRequestAsync(AdmissionRequest request, string node, CancellationToken cancellationToken)
    {
        var tokenRequest = request.Object!;
        var bound = tokenRequest.Find("spec.boundObjectRef") as JsonObject;
        if (bound is null || bound.GetString("apiVersion") != "v1" || bound.GetString("kind") != "Pod" || string.IsNullOrEmpty(bound.GetString("name")))
        {
            throw Forbidden(request, "node requested token not bound to a pod");
        }

        if (string.IsNullOrEmpty(bound.GetString("uid")))
        {
            throw Forbidden(request, "node requested token with a pod binding without a uid");
        }

        var podName = bound.GetString("name")!;
        var pod = await ReadAsync("pods", request.Namespace, podName, cancellationToken) ?? throw new ApiException(Statuses.NotFound("", "pod", podName));
        if (pod.GetString("metadata.uid") != bound.GetString("uid"))
        {
            throw Forbidden(request, $"the UID in the bound object reference ({bound.GetString("uid")}) does not match the UID in record. The object might have been deleted and then recreated");
        }

        if (pod.GetString("spec.nodeName") != node)
        {
            throw Forbidden(request, "node requested token bound to a pod scheduled on a different node");
        }

        // The audience a node may ask for is checked since kube 1.32 (ServiceAccountNodeAudienceRestriction).
        if (!release.HasNodeRestrictionsOf133)
        {
            return;
        }

        var audiences = (tokenRequest.Find("spec.audiences") as JsonArray)?.Select(a => a?.ToString() ?? "").ToList() ?? [];
        if (audiences.Count > 1)
        {
            throw Forbidden(request, "node may only request 0 or 1 audiences");
        }

        var audience = audiences.Count == 1 ? audiences[0] : "";
        var projected = ((pod.Find("spec.volumes") as JsonArray)?.OfType<JsonObject>() ?? [])
            .SelectMany(v => (v.Find("projected.sources") as JsonArray)?.OfType<JsonObject>() ?? [])
            .Select(s => s["serviceAccountToken"] as JsonObject)
            .Where(t => t is not null)
            .Any(t => (t!.GetString("audience") ?? "") == audience);
        if (projected)
        {
            return;
        }

        var check = new AuthorizationAttributes(request.User, "request-serviceaccounts-token-audience", true, ApiGroup: "", ApiVersion: "v1",
            Resource: audience, Namespace: request.Namespace ?? "", Name: request.Name);
        if (!(await authorizer.AuthorizeAsync(check, cancellationToken)).Allowed)
        {
            throw Forbidden(request, $"audience \"{audience}\" not found in pod spec volume, {request.User.Name} is not authorized to request tokens for this audience");
        }
    }

    private static void CertificateSigningRequest(AdmissionRequest request, string node)
    {
        var csr = request.Object!;
        var signer = csr.GetString("spec.signerName");
        if (signer is not ("kubernetes.io/kubelet-serving" or "kubernetes.io/kube-apiserver-client-kubelet"))
        {
            return;
        }

        CertificateRequest parsed;
        try
        {
            var pem = Encoding.ASCII.GetString(Convert.FromBase64String(csr.GetString("spec.request") ?? ""));
            parsed = CertificateRequest.LoadSigningRequestPem(pem, System.Security.Cryptography.HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw Forbidden(request, "unable to parse csr: " + e.Message);
        }

        var commonName = parsed.SubjectName.EnumerateRelativeDistinguishedNames()
            .FirstOrDefault(n => n.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue();
        if (commonName != "system:node:" + node)
        {
            throw Forbidden(request, $"can only create a node CSR with CN=system:node:{node}");
        }
    }

    // Labels a node may not add, remove or change on itself: node-restriction.kubernetes.io ones, and kubernetes.io
    // or k8s.io ones outside the kubelet's own set.
    private static List<string> ForbiddenLabels(JsonObject obj, JsonObject? old)
    {
        var labels = new ObjectMeta(obj).Labels ?? [];
        var oldLabels = old is null ? [] : new ObjectMeta(old).Labels ?? [];
        var modified = labels.Where(l => oldLabels[l.Key]?.ToString() != l.Value?.ToString() || !oldLabels.ContainsKey(l.Key)).Select(l => l.Key)
            .Concat(oldLabels.Where(l => !labels.ContainsKey(l.Key)).Select(l => l.Key));
        return modified.Where(IsForbiddenLabel).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    private static bool IsForbiddenLabel(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }

        var prefix = key[..slash];
        static bool Under(string prefix, string domain) => prefix == domain || prefix.EndsWith("." + domain, StringComparison.Ordinal);
        if (Under(prefix, "node-restriction.kubernetes.io"))
        {
            return true;
        }

        if (!Under(prefix, "kubernetes.io") && !Under(prefix, "k8s.io"))
        {
            return false;
        }

        return !KubeletLabels.Contains(key) && !Under(prefix, "kubelet.kubernetes.io") && !Under(prefix, "node.kubernetes.io");
    }

    // Kubernetes compares lists semantically: a missing list equals an empty one.
    private static bool SameList(JsonNode? a, JsonNode? b)
    {
        var left = a as JsonArray is { Count: > 0 } ? a : null;
        var right = b as JsonArray is { Count: > 0 } ? b : null;
        return JsonNode.DeepEquals(left, right);
    }

    private async Task<JsonObject?> ReadAsync(string plural, string? ns, string name, CancellationToken cancellationToken)
    {
        var resource = registry.Find("", "v1", plural)!;
        var result = await store.GetAsync(resource.Key(ns, name), cancellationToken);
        return result.IsOk ? JsonBodyParser.Parse(result.Object!.Value) as JsonObject : null;
    }

    private static ApiException Forbidden(AdmissionRequest request, string detail) =>
        new(Statuses.Forbidden(request.Resource, string.IsNullOrEmpty(request.Name) ? null : request.Name, detail));
}
