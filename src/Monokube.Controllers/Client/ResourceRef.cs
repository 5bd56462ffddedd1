namespace Monokube.Controllers.Client;

/// <summary>A resource as the REST paths name it: group, version, plural, and whether it lives in namespaces.</summary>
public sealed record ResourceRef(string Group, string Version, string Plural, bool Namespaced)
{
    public static ResourceRef Pods { get; } = new("", "v1", "pods", true);

    public static ResourceRef Nodes { get; } = new("", "v1", "nodes", false);

    public static ResourceRef Namespaces { get; } = new("", "v1", "namespaces", false);

    public static ResourceRef Services { get; } = new("", "v1", "services", true);

    public static ResourceRef Endpoints { get; } = new("", "v1", "endpoints", true);

    public static ResourceRef ConfigMaps { get; } = new("", "v1", "configmaps", true);

    public static ResourceRef Secrets { get; } = new("", "v1", "secrets", true);

    public static ResourceRef ServiceAccounts { get; } = new("", "v1", "serviceaccounts", true);

    public static ResourceRef Events { get; } = new("", "v1", "events", true);

    public static ResourceRef ReplicaSets { get; } = new("apps", "v1", "replicasets", true);

    public static ResourceRef Deployments { get; } = new("apps", "v1", "deployments", true);

    public static ResourceRef DaemonSets { get; } = new("apps", "v1", "daemonsets", true);

    public static ResourceRef ControllerRevisions { get; } = new("apps", "v1", "controllerrevisions", true);

    public static ResourceRef Leases { get; } = new("coordination.k8s.io", "v1", "leases", true);

    public static ResourceRef EndpointSlices { get; } = new("discovery.k8s.io", "v1", "endpointslices", true);

    public static ResourceRef CertificateSigningRequests { get; } = new("certificates.k8s.io", "v1", "certificatesigningrequests", false);

    public static ResourceRef SubjectAccessReviews { get; } = new("authorization.k8s.io", "v1", "subjectaccessreviews", false);

    public static ResourceRef ClusterRoles { get; } = new("rbac.authorization.k8s.io", "v1", "clusterroles", false);

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>The collection path: /api/v1/namespaces/ns/pods, /apis/apps/v1/deployments (all namespaces).</summary>
    public string Path(string? ns, string? name = null, string? subresource = null)
    {
        var root = Group.Length == 0 ? "/api/v1" : $"/apis/{Group}/{Version}";
        var path = Namespaced && !string.IsNullOrEmpty(ns) ? $"{root}/namespaces/{Uri.EscapeDataString(ns)}/{Plural}" : $"{root}/{Plural}";
        if (name is not null)
        {
            path += "/" + Uri.EscapeDataString(name);
            if (subresource is not null)
            {
                path += "/" + subresource;
            }
        }

        return path;
    }

    public override string ToString() => Group.Length == 0 ? Plural : Plural + "." + Group;
}
