using Monokube.ApiServer.Registry.Strategies;

namespace Monokube.ApiServer.Registry;

/// <summary>
/// The built-in resources monokube serves, named and stored as kube-apiserver does: those of 1.33 by default, of 1.26
/// under --emulated-version=1.26 (without what came later).
/// </summary>
public static class BuiltinResources
{
    private static readonly string[] ReadWrite = ["get", "patch", "update"];
    private static readonly string[] CreateOnly = ["create"];
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<KubernetesRelease, IReadOnlyList<ResourceDefinition>> Served = new();

    /// <summary>The resources of the default release.</summary>
    public static IReadOnlyList<ResourceDefinition> All => For(KubernetesRelease.Default);

    /// <summary>The resources kube-apiserver of <paramref name="release"/> serves by default (of those monokube has).</summary>
    public static IReadOnlyList<ResourceDefinition> For(KubernetesRelease release) =>
        Served.GetOrAdd(release, r => [.. Create(r).Where(resource => r.Serves(ServedSince(resource)))]);

    private static List<ResourceDefinition> Create(KubernetesRelease release)
    {
        return
        [
            // core/v1
            Core("Binding", "bindings", true, "V1Binding", verbs: CreateOnly),
            Core("ConfigMap", "configmaps", true, "V1ConfigMap", shortNames: ["cm"], strategy: new ConfigMapStrategy()),
            Core("Endpoints", "endpoints", true, "V1Endpoints", shortNames: ["ep"], storage: "services/endpoints", strategy: new EndpointsStrategy()),
            Core("Event", "events", true, "Corev1Event", shortNames: ["ev"], strategy: new EventStrategy()),
            Core("LimitRange", "limitranges", true, "V1LimitRange", shortNames: ["limits"]),
            Core("Namespace", "namespaces", false, "V1Namespace", shortNames: ["ns"],
                verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
                subresources: [Sub("finalize", "", "v1", "Namespace", ["update"]), Status("", "v1", "Namespace")],
                strategy: new NamespaceStrategy()),
            Core("Node", "nodes", false, "V1Node", shortNames: ["no"], storage: "minions",
                subresources: [Sub("proxy", "", "v1", "NodeProxyOptions", ["create", "delete", "get", "patch", "update"]), Status("", "v1", "Node")],
                strategy: new NodeStrategy()),
            Core("PersistentVolumeClaim", "persistentvolumeclaims", true, "V1PersistentVolumeClaim", shortNames: ["pvc"],
                subresources: [Status("", "v1", "PersistentVolumeClaim")]),
            Core("PersistentVolume", "persistentvolumes", false, "V1PersistentVolume", shortNames: ["pv"],
                subresources: [Status("", "v1", "PersistentVolume")]),
            Core("Pod", "pods", true, "V1Pod", shortNames: ["po"], categories: ["all"],
                subresources:
                [
                    Sub("attach", "", "v1", "PodAttachOptions", ["create", "get"]),
                    Sub("binding", "", "v1", "Binding", CreateOnly),
                    Sub("ephemeralcontainers", "", "v1", "Pod", ReadWrite),
                    Sub("eviction", "policy", "v1", "Eviction", CreateOnly),
                    Sub("exec", "", "v1", "PodExecOptions", ["create", "get"]),
                    Sub("log", "", "v1", "Pod", ["get"]),
                    Sub("portforward", "", "v1", "PodPortForwardOptions", ["create", "get"]),
                    Sub("proxy", "", "v1", "PodProxyOptions", ["create", "delete", "get", "patch", "update"]),
                    .. release.Serves(33) ? [Sub("resize", "", "v1", "Pod", ReadWrite)] : Array.Empty<SubresourceDefinition>(),
                    Status("", "v1", "Pod"),
                ],
                strategy: new PodStrategy()),
            Core("PodTemplate", "podtemplates", true, "V1PodTemplate"),
            Core("ReplicationController", "replicationcontrollers", true, "V1ReplicationController", shortNames: ["rc"], categories: ["all"], storage: "controllers",
                subresources: [Scale(), Status("", "v1", "ReplicationController")], strategy: new WorkloadStrategy("ReplicationController")),
            Core("ResourceQuota", "resourcequotas", true, "V1ResourceQuota", shortNames: ["quota"],
                subresources: [Status("", "v1", "ResourceQuota")]),
            Core("Secret", "secrets", true, "V1Secret", strategy: new SecretStrategy()),
            Core("ServiceAccount", "serviceaccounts", true, "V1ServiceAccount", shortNames: ["sa"],
                subresources: [Sub("token", "authentication.k8s.io", "v1", "TokenRequest", CreateOnly)]),
            Core("Service", "services", true, "V1Service", shortNames: ["svc"], categories: ["all"], storage: "services/specs",
                subresources: [Sub("proxy", "", "v1", "ServiceProxyOptions", ["create", "delete", "get", "patch", "update"]), Status("", "v1", "Service")],
                strategy: new ServiceStrategy()),

            // apps/v1
            Apps("ControllerRevision", "controllerrevisions", "V1ControllerRevision"),
            Apps("DaemonSet", "daemonsets", "V1DaemonSet", ["ds"], status: true),
            Apps("Deployment", "deployments", "V1Deployment", ["deploy"], status: true, scale: true),
            Apps("ReplicaSet", "replicasets", "V1ReplicaSet", ["rs"], status: true, scale: true),
            Apps("StatefulSet", "statefulsets", "V1StatefulSet", ["sts"], status: true, scale: true),

            // autoscaling, batch
            WithConverter(Resource("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, "V2HorizontalPodAutoscaler", shortNames: ["hpa"], categories: ["all"],
                subresources: [Status("autoscaling", "v2", "HorizontalPodAutoscaler")]), new OlderStorageVersions("autoscaling/v2")),
            Resource("batch", "v1", "CronJob", "cronjobs", true, "V1CronJob", shortNames: ["cj"], categories: ["all"],
                subresources: [Status("batch", "v1", "CronJob")], strategy: new WorkloadStrategy("CronJob")),
            Resource("batch", "v1", "Job", "jobs", true, "V1Job", categories: ["all"],
                subresources: [Status("batch", "v1", "Job")], strategy: new WorkloadStrategy("Job")),

            // certificates, coordination, discovery, events
            Resource("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", false, "V1CertificateSigningRequest", shortNames: ["csr"],
                subresources: [Sub("approval", "certificates.k8s.io", "v1", "CertificateSigningRequest", ReadWrite), Status("certificates.k8s.io", "v1", "CertificateSigningRequest")],
                strategy: new CertificateSigningRequestStrategy()),
            Resource("coordination.k8s.io", "v1", "Lease", "leases", true, "V1Lease"),
            WithConverter(Resource("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, "V1EndpointSlice"), new OlderStorageVersions("discovery.k8s.io/v1")),
            WithConverter(Resource("events.k8s.io", "v1", "Event", "events", true, "Eventsv1Event", shortNames: ["ev"], strategy: new EventStrategy(regarding: true)), new EventsV1Converter(), validationGroup: ""),

            // networking, node, policy, scheduling, storage
            Resource("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, "V1IngressClass"),
            Resource("networking.k8s.io", "v1", "IPAddress", "ipaddresses", false, "V1IPAddress", shortNames: ["ip"]),
            Resource("networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", false, "V1ServiceCIDR",
                subresources: [Status("networking.k8s.io", "v1", "ServiceCIDR")]),
            Resource("networking.k8s.io", "v1", "Ingress", "ingresses", true, "V1Ingress", shortNames: ["ing"], storage: "ingress",
                subresources: [Status("networking.k8s.io", "v1", "Ingress")]),
            Resource("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, "V1NetworkPolicy", shortNames: ["netpol"], strategy: ResourceStrategy.TrackingGeneration),
            Resource("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", false, "V1RuntimeClass"),
            WithConverter(Resource("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, "V1PodDisruptionBudget", shortNames: ["pdb"],
                subresources: [Status("policy", "v1", "PodDisruptionBudget")], strategy: ResourceStrategy.TrackingGeneration), new OlderStorageVersions("policy/v1")),
            Resource("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, "V1PriorityClass", shortNames: ["pc"]),
            Resource("storage.k8s.io", "v1", "CSIDriver", "csidrivers", false, "V1CSIDriver"),
            Resource("storage.k8s.io", "v1", "CSINode", "csinodes", false, "V1CSINode"),
            Resource("storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities", true, "V1CSIStorageCapacity"),
            Resource("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, "V1StorageClass", shortNames: ["sc"]),
            Resource("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", false, "V1VolumeAttachment",
                subresources: [Status("storage.k8s.io", "v1", "VolumeAttachment")],
                strategy: new ResourceStrategy { MetadataKeptOnStatusUpdate = ["labels", "annotations", "finalizers", "ownerReferences"] }),

            // rbac
            Rbac("ClusterRoleBinding", "clusterrolebindings", false, "V1ClusterRoleBinding"),
            Rbac("ClusterRole", "clusterroles", false, "V1ClusterRole"),
            Rbac("RoleBinding", "rolebindings", true, "V1RoleBinding"),
            Rbac("Role", "roles", true, "V1Role"),

            // authentication and authorization: reviews are answered, not stored.
            Review("authentication.k8s.io", "TokenReview", "tokenreviews", false, "V1TokenReview"),
            Review("authentication.k8s.io", "SelfSubjectReview", "selfsubjectreviews", false, "V1SelfSubjectReview"),
            Review("authorization.k8s.io", "LocalSubjectAccessReview", "localsubjectaccessreviews", true, "V1LocalSubjectAccessReview"),
            Review("authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false, "V1SelfSubjectAccessReview"),
            Review("authorization.k8s.io", "SelfSubjectRulesReview", "selfsubjectrulesreviews", false, "V1SelfSubjectRulesReview"),
            Review("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews", false, "V1SubjectAccessReview"),

            // apiextensions: CRDs; their custom resources are served by CustomResources.CustomResourceServer.
            WithConverter(Resource("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, "V1CustomResourceDefinition",
                shortNames: ["crd", "crds"], categories: ["api-extensions"], storage: "apiextensions.k8s.io/customresourcedefinitions",
                subresources: [Status("apiextensions.k8s.io", "v1", "CustomResourceDefinition")], strategy: new Strategies.CustomResourceDefinitionStrategy()), new OlderStorageVersions("apiextensions.k8s.io/v1")),
        ];
    }

    /// <summary>
    /// The minor release whose kube-apiserver first serves a resource at its group and version by default (0: every
    /// release monokube knows): SelfSubjectReview v1 came in 1.28, IPAddress and ServiceCIDR v1 in 1.33.
    /// </summary>
    public static int ServedSince(ResourceDefinition resource) => (resource.Group, resource.Version, resource.Plural) switch
    {
        ("authentication.k8s.io", "v1", "selfsubjectreviews") => 28,
        ("networking.k8s.io", "v1", "ipaddresses" or "servicecidrs") => 33,
        _ => 0,
    };

    private static ResourceDefinition Review(string group, string kind, string plural, bool namespaced, string model) => new()
    {
        Group = group,
        Version = "v1",
        Kind = kind,
        Plural = plural,
        Namespaced = namespaced,
        Model = model,
        Verbs = CreateOnly,
        Virtual = true,
    };

    private static ResourceDefinition WithConverter(ResourceDefinition resource, IStorageConverter converter, string? validationGroup = null) => new()
    {
        ValidationGroup = validationGroup,
        Group = resource.Group,
        Version = resource.Version,
        Kind = resource.Kind,
        Plural = resource.Plural,
        Namespaced = resource.Namespaced,
        Model = resource.Model,
        ShortNames = resource.ShortNames,
        Categories = resource.Categories,
        Verbs = resource.Verbs,
        Subresources = resource.Subresources,
        StoragePrefix = resource.StoragePrefix,
        Strategy = resource.Strategy,
        Converter = converter,
    };

    private static ResourceDefinition Core(string kind, string plural, bool namespaced, string model, string[]? shortNames = null, string[]? categories = null,
        string[]? verbs = null, SubresourceDefinition[]? subresources = null, string? storage = null, ResourceStrategy? strategy = null) =>
        Resource("", "v1", kind, plural, namespaced, model, shortNames, categories, verbs, subresources, storage, strategy);

    private static ResourceDefinition Apps(string kind, string plural, string model, string[]? shortNames = null, bool status = false, bool scale = false)
    {
        var subresources = new List<SubresourceDefinition>();
        if (scale)
        {
            subresources.Add(Scale());
        }

        if (status)
        {
            subresources.Add(Status("apps", "v1", kind));
        }

        return Resource("apps", "v1", kind, plural, true, model, shortNames, status ? ["all"] : null, subresources: [.. subresources],
            strategy: status ? new WorkloadStrategy(kind) : null);
    }

    private static ResourceDefinition Rbac(string kind, string plural, bool namespaced, string model) =>
        Resource("rbac.authorization.k8s.io", "v1", kind, plural, namespaced, model, strategy: ResourceStrategy.PathSegmentNames);

    private static ResourceDefinition Resource(string group, string version, string kind, string plural, bool namespaced, string model,
        string[]? shortNames = null, string[]? categories = null, string[]? verbs = null, SubresourceDefinition[]? subresources = null,
        string? storage = null, ResourceStrategy? strategy = null) => new()
        {
            Group = group,
            Version = version,
            Kind = kind,
            Plural = plural,
            Namespaced = namespaced,
            Model = model,
            ShortNames = shortNames ?? [],
            Categories = categories ?? [],
            Verbs = verbs ?? ResourceDefinition.AllVerbs,
            Subresources = subresources ?? [],
            StoragePrefix = storage ?? plural,
            Strategy = strategy ?? ResourceStrategy.Default,
        };

    private static SubresourceDefinition Sub(string name, string group, string version, string kind, string[] verbs) => new(name, group, version, kind, verbs);

    private static SubresourceDefinition Status(string group, string version, string kind) => new("status", group, version, kind, ReadWrite);

    private static SubresourceDefinition Scale() => new("scale", "autoscaling", "v1", "Scale", ReadWrite);
}
