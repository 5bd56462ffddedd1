using k8s.Models;
using Monokube.ApiServer.Registry.Strategies;

namespace Monokube.ApiServer.Registry;

/// <summary>The built-in resources monokube serves, named and stored as kube-apiserver 1.33 does.</summary>
public static class BuiltinResources
{
    private static readonly string[] ReadWrite = ["get", "patch", "update"];
    private static readonly string[] CreateOnly = ["create"];

    public static IReadOnlyList<ResourceDefinition> All { get; } = Create();

    private static List<ResourceDefinition> Create()
    {
        return
        [
            // core/v1
            Core("Binding", "bindings", true, typeof(V1Binding), verbs: CreateOnly),
            Core("ConfigMap", "configmaps", true, typeof(V1ConfigMap), shortNames: ["cm"], strategy: new ConfigMapStrategy()),
            Core("Endpoints", "endpoints", true, typeof(V1Endpoints), shortNames: ["ep"], storage: "services/endpoints", strategy: new EndpointsStrategy()),
            Core("Event", "events", true, typeof(Corev1Event), shortNames: ["ev"], strategy: new EventStrategy()),
            Core("LimitRange", "limitranges", true, typeof(V1LimitRange), shortNames: ["limits"]),
            Core("Namespace", "namespaces", false, typeof(V1Namespace), shortNames: ["ns"],
                verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
                subresources: [Sub("finalize", "", "v1", "Namespace", ["update"]), Status("", "v1", "Namespace")],
                strategy: new NamespaceStrategy()),
            Core("Node", "nodes", false, typeof(V1Node), shortNames: ["no"], storage: "minions",
                subresources: [Sub("proxy", "", "v1", "NodeProxyOptions", ["create", "delete", "get", "patch", "update"]), Status("", "v1", "Node")],
                strategy: new NodeStrategy()),
            Core("PersistentVolumeClaim", "persistentvolumeclaims", true, typeof(V1PersistentVolumeClaim), shortNames: ["pvc"],
                subresources: [Status("", "v1", "PersistentVolumeClaim")]),
            Core("PersistentVolume", "persistentvolumes", false, typeof(V1PersistentVolume), shortNames: ["pv"],
                subresources: [Status("", "v1", "PersistentVolume")]),
            Core("Pod", "pods", true, typeof(V1Pod), shortNames: ["po"], categories: ["all"],
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
                    Sub("resize", "", "v1", "Pod", ReadWrite),
                    Status("", "v1", "Pod"),
                ],
                strategy: new PodStrategy()),
            Core("PodTemplate", "podtemplates", true, typeof(V1PodTemplate)),
            Core("ReplicationController", "replicationcontrollers", true, typeof(V1ReplicationController), shortNames: ["rc"], categories: ["all"], storage: "controllers",
                subresources: [Scale(), Status("", "v1", "ReplicationController")], strategy: new WorkloadStrategy("ReplicationController")),
            Core("ResourceQuota", "resourcequotas", true, typeof(V1ResourceQuota), shortNames: ["quota"],
                subresources: [Status("", "v1", "ResourceQuota")]),
            Core("Secret", "secrets", true, typeof(V1Secret), strategy: new SecretStrategy()),
            Core("ServiceAccount", "serviceaccounts", true, typeof(V1ServiceAccount), shortNames: ["sa"],
                subresources: [Sub("token", "authentication.k8s.io", "v1", "TokenRequest", CreateOnly)]),
            Core("Service", "services", true, typeof(V1Service), shortNames: ["svc"], categories: ["all"], storage: "services/specs",
                subresources: [Sub("proxy", "", "v1", "ServiceProxyOptions", ["create", "delete", "get", "patch", "update"]), Status("", "v1", "Service")],
                strategy: new ServiceStrategy()),

            // apps/v1
            Apps("ControllerRevision", "controllerrevisions", typeof(V1ControllerRevision)),
            Apps("DaemonSet", "daemonsets", typeof(V1DaemonSet), ["ds"], status: true),
            Apps("Deployment", "deployments", typeof(V1Deployment), ["deploy"], status: true, scale: true),
            Apps("ReplicaSet", "replicasets", typeof(V1ReplicaSet), ["rs"], status: true, scale: true),
            Apps("StatefulSet", "statefulsets", typeof(V1StatefulSet), ["sts"], status: true, scale: true),

            // autoscaling, batch
            Resource("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, typeof(V2HorizontalPodAutoscaler), shortNames: ["hpa"], categories: ["all"],
                subresources: [Status("autoscaling", "v2", "HorizontalPodAutoscaler")]),
            Resource("batch", "v1", "CronJob", "cronjobs", true, typeof(V1CronJob), shortNames: ["cj"], categories: ["all"],
                subresources: [Status("batch", "v1", "CronJob")], strategy: new WorkloadStrategy("CronJob")),
            Resource("batch", "v1", "Job", "jobs", true, typeof(V1Job), categories: ["all"],
                subresources: [Status("batch", "v1", "Job")], strategy: new WorkloadStrategy("Job")),

            // certificates, coordination, discovery, events
            Resource("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", false, typeof(V1CertificateSigningRequest), shortNames: ["csr"],
                subresources: [Sub("approval", "certificates.k8s.io", "v1", "CertificateSigningRequest", ReadWrite), Status("certificates.k8s.io", "v1", "CertificateSigningRequest")],
                strategy: new CertificateSigningRequestStrategy()),
            Resource("coordination.k8s.io", "v1", "Lease", "leases", true, typeof(V1Lease)),
            Resource("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, typeof(V1EndpointSlice)),
            WithConverter(Resource("events.k8s.io", "v1", "Event", "events", true, typeof(Eventsv1Event), shortNames: ["ev"], strategy: new EventStrategy(regarding: true)), new EventsV1Converter()),

            // networking, node, policy, scheduling, storage
            Resource("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, typeof(V1IngressClass)),
            Resource("networking.k8s.io", "v1", "IPAddress", "ipaddresses", false, typeof(V1IPAddress), shortNames: ["ip"]),
            Resource("networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", false, typeof(V1ServiceCIDR),
                subresources: [Status("networking.k8s.io", "v1", "ServiceCIDR")]),
            Resource("networking.k8s.io", "v1", "Ingress", "ingresses", true, typeof(V1Ingress), shortNames: ["ing"], storage: "ingress",
                subresources: [Status("networking.k8s.io", "v1", "Ingress")]),
            Resource("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, typeof(V1NetworkPolicy), shortNames: ["netpol"], strategy: ResourceStrategy.TrackingGeneration),
            Resource("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", false, typeof(V1RuntimeClass)),
            Resource("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, typeof(V1PodDisruptionBudget), shortNames: ["pdb"],
                subresources: [Status("policy", "v1", "PodDisruptionBudget")], strategy: ResourceStrategy.TrackingGeneration),
            Resource("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, typeof(V1PriorityClass), shortNames: ["pc"]),
            Resource("storage.k8s.io", "v1", "CSIDriver", "csidrivers", false, typeof(V1CSIDriver)),
            Resource("storage.k8s.io", "v1", "CSINode", "csinodes", false, typeof(V1CSINode)),
            Resource("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, typeof(V1StorageClass), shortNames: ["sc"]),
            Resource("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", false, typeof(V1VolumeAttachment),
                subresources: [Status("storage.k8s.io", "v1", "VolumeAttachment")]),

            // rbac
            Rbac("ClusterRoleBinding", "clusterrolebindings", false, typeof(V1ClusterRoleBinding)),
            Rbac("ClusterRole", "clusterroles", false, typeof(V1ClusterRole)),
            Rbac("RoleBinding", "rolebindings", true, typeof(V1RoleBinding)),
            Rbac("Role", "roles", true, typeof(V1Role)),

            // authentication and authorization: reviews are answered, not stored.
            Review("authentication.k8s.io", "TokenReview", "tokenreviews", false, typeof(V1TokenReview)),
            Review("authentication.k8s.io", "SelfSubjectReview", "selfsubjectreviews", false, typeof(V1SelfSubjectReview)),
            Review("authorization.k8s.io", "LocalSubjectAccessReview", "localsubjectaccessreviews", true, typeof(V1LocalSubjectAccessReview)),
            Review("authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false, typeof(V1SelfSubjectAccessReview)),
            Review("authorization.k8s.io", "SelfSubjectRulesReview", "selfsubjectrulesreviews", false, typeof(V1SelfSubjectRulesReview)),
            Review("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews", false, typeof(V1SubjectAccessReview)),

            // apiextensions: CRDs; their custom resources are served by CustomResources.CustomResourceServer.
            Resource("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, typeof(V1CustomResourceDefinition),
                shortNames: ["crd", "crds"], categories: ["api-extensions"], storage: "apiextensions.k8s.io/customresourcedefinitions",
                subresources: [Status("apiextensions.k8s.io", "v1", "CustomResourceDefinition")], strategy: new Strategies.CustomResourceDefinitionStrategy()),
        ];
    }

    private static ResourceDefinition Review(string group, string kind, string plural, bool namespaced, Type model) => new()
    {
        Group = group,
        Version = "v1",
        Kind = kind,
        Plural = plural,
        Namespaced = namespaced,
        ModelType = model,
        Verbs = CreateOnly,
        Virtual = true,
    };

    private static ResourceDefinition WithConverter(ResourceDefinition resource, IStorageConverter converter) => new()
    {
        Group = resource.Group,
        Version = resource.Version,
        Kind = resource.Kind,
        Plural = resource.Plural,
        Namespaced = resource.Namespaced,
        ModelType = resource.ModelType,
        ShortNames = resource.ShortNames,
        Categories = resource.Categories,
        Verbs = resource.Verbs,
        Subresources = resource.Subresources,
        StoragePrefix = resource.StoragePrefix,
        Strategy = resource.Strategy,
        Converter = converter,
    };

    private static ResourceDefinition Core(string kind, string plural, bool namespaced, Type model, string[]? shortNames = null, string[]? categories = null,
        string[]? verbs = null, SubresourceDefinition[]? subresources = null, string? storage = null, ResourceStrategy? strategy = null) =>
        Resource("", "v1", kind, plural, namespaced, model, shortNames, categories, verbs, subresources, storage, strategy);

    private static ResourceDefinition Apps(string kind, string plural, Type model, string[]? shortNames = null, bool status = false, bool scale = false)
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

    private static ResourceDefinition Rbac(string kind, string plural, bool namespaced, Type model) =>
        Resource("rbac.authorization.k8s.io", "v1", kind, plural, namespaced, model, strategy: ResourceStrategy.PathSegmentNames);

    private static ResourceDefinition Resource(string group, string version, string kind, string plural, bool namespaced, Type model,
        string[]? shortNames = null, string[]? categories = null, string[]? verbs = null, SubresourceDefinition[]? subresources = null,
        string? storage = null, ResourceStrategy? strategy = null) => new()
        {
            Group = group,
            Version = version,
            Kind = kind,
            Plural = plural,
            Namespaced = namespaced,
            ModelType = model,
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
