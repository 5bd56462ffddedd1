using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// The default RBAC objects kube-apiserver's rbac/bootstrap-roles post-start hook creates: the user-facing roles
/// (cluster-admin, admin, edit, view), the discovery and basic-user roles everyone gets, the node bootstrap roles,
/// and the roles of the control-plane components, with their default bindings.
/// </summary>
public static class BootstrapPolicy
{
    private const string ReadOnly = "get,list,watch";
    private const string Write = "create,delete,deletecollection,patch,update";
    private const string All = "create,delete,deletecollection,get,list,patch,update,watch";

    public static IReadOnlyList<JsonObject> ClusterRoles { get; } = BuildClusterRoles();

    public static IReadOnlyList<JsonObject> ClusterRoleBindings { get; } = BuildClusterRoleBindings();

    /// <summary>Roles and RoleBindings in kube-system, as (namespace, object).</summary>
    public static IReadOnlyList<JsonObject> Roles { get; } =
    [
        Role("kube-system", "extension-apiserver-authentication-reader", [Rule("", "configmaps", "get,list,watch", names: ["extension-apiserver-authentication"])]),
        Role("kube-system", "system::leader-locking-kube-controller-manager",
        [
            Rule("", "configmaps", "watch"),
            Rule("", "configmaps", "get,update", names: ["kube-controller-manager"]),
            Rule("coordination.k8s.io", "leases", "watch"),
            Rule("coordination.k8s.io", "leases", "get,update", names: ["kube-controller-manager"]),
        ]),
        Role("kube-system", "system::leader-locking-kube-scheduler",
        [
            Rule("", "configmaps", "watch"),
            Rule("", "configmaps", "get,update", names: ["kube-scheduler"]),
            Rule("coordination.k8s.io", "leases", "watch"),
            Rule("coordination.k8s.io", "leases", "get,update", names: ["kube-scheduler"]),
        ]),
    ];

    public static IReadOnlyList<JsonObject> RoleBindings { get; } =
    [
        Binding("RoleBinding", "system::extension-apiserver-authentication-reader", "Role", "extension-apiserver-authentication-reader", "kube-system",
            [User("system:kube-controller-manager"), User("system:kube-scheduler")]),
        Binding("RoleBinding", "system::leader-locking-kube-controller-manager", "Role", "system::leader-locking-kube-controller-manager", "kube-system",
            [User("system:kube-controller-manager"), ServiceAccount("kube-system", "kube-controller-manager")]),
        Binding("RoleBinding", "system::leader-locking-kube-scheduler", "Role", "system::leader-locking-kube-scheduler", "kube-system",
            [User("system:kube-scheduler"), ServiceAccount("kube-system", "kube-scheduler")]),
    ];

    private static List<JsonObject> BuildClusterRoles()
    {
        string[] viewCore = ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/log", "pods/status",
            "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts", "services", "services/status",
            "bindings", "events", "limitranges", "namespaces/status", "resourcequotas", "resourcequotas/status"];
        string[] viewApps = ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
            "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"];
        string[] editCore = ["configmaps", "events", "persistentvolumeclaims", "pods", "replicationcontrollers", "replicationcontrollers/scale",
            "secrets", "serviceaccounts", "services", "services/proxy", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"];
        string[] editApps = ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"];

        return
        [
            ClusterRole("cluster-admin", [Rule("*", "*", "*"), NonResource("*", "*")]),
            ClusterRole("system:discovery", [NonResource("/api,/api/*,/apis,/apis/*,/healthz,/livez,/openapi,/openapi/*,/readyz,/version,/version/", "get")]),
            ClusterRole("system:public-info-viewer", [NonResource("/healthz,/livez,/readyz,/version,/version/", "get")]),
            ClusterRole("system:monitoring", [NonResource("/healthz,/healthz/*,/livez,/livez/*,/readyz,/readyz/*,/metrics,/metrics/slis", "get")]),
            ClusterRole("system:basic-user",
            [
                Rule("authorization.k8s.io", "selfsubjectaccessreviews,selfsubjectrulesreviews", "create"),
                Rule("authentication.k8s.io", "selfsubjectreviews", "create"),
            ]),
            ClusterRole("system:service-account-issuer-discovery",
                [NonResource("/.well-known/openid-configuration,/.well-known/openid-configuration/,/openid/v1/jwks,/openid/v1/jwks/", "get")]),
            ClusterRole("system:auth-delegator",
            [
                Rule("authentication.k8s.io", "tokenreviews", "create"),
                Rule("authorization.k8s.io", "subjectaccessreviews", "create"),
            ]),
            Aggregated("admin", "rbac.authorization.k8s.io/aggregate-to-admin"),
            Aggregated("edit", "rbac.authorization.k8s.io/aggregate-to-edit", aggregateTo: "admin"),
            Aggregated("view", "rbac.authorization.k8s.io/aggregate-to-view", aggregateTo: "edit"),
            ClusterRole("system:aggregate-to-admin",
            [
                Rule("authorization.k8s.io", "localsubjectaccessreviews", "create"),
                Rule("rbac.authorization.k8s.io", "rolebindings,roles", All),
            ], aggregateTo: "admin"),
            ClusterRole("system:aggregate-to-edit",
            [
                Rule("", string.Join(",", editCore), Write),
                Rule("", "secrets", ReadOnly),
                Rule("", "serviceaccounts", "impersonate"),
                Rule("", "pods/eviction", "create"),
                Rule("apps", string.Join(",", editApps), Write),
                Rule("autoscaling", "horizontalpodautoscalers", Write),
                Rule("batch", "cronjobs,jobs", Write),
                Rule("policy", "poddisruptionbudgets", Write),
                Rule("networking.k8s.io", "ingresses,networkpolicies", Write),
                Rule("coordination.k8s.io", "leases", Write + ",get,list,watch"),
                Rule("discovery.k8s.io", "endpointslices", Write),
                Rule("", "serviceaccounts/token", "create"),
            ], aggregateTo: "edit"),
            ClusterRole("system:aggregate-to-view",
            [
                Rule("", string.Join(",", viewCore), ReadOnly),
                Rule("", "namespaces", ReadOnly),
                Rule("apps", string.Join(",", viewApps), ReadOnly),
                Rule("autoscaling", "horizontalpodautoscalers,horizontalpodautoscalers/status", ReadOnly),
                Rule("batch", "cronjobs,cronjobs/status,jobs,jobs/status", ReadOnly),
                Rule("policy", "poddisruptionbudgets,poddisruptionbudgets/status", ReadOnly),
                Rule("networking.k8s.io", "ingresses,ingresses/status,networkpolicies", ReadOnly),
                Rule("discovery.k8s.io", "endpointslices", ReadOnly),
            ], aggregateTo: "view"),
            ClusterRole("system:node-bootstrapper", [Rule("certificates.k8s.io", "certificatesigningrequests", "create,get,list,watch")]),
            ClusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [Rule("certificates.k8s.io", "certificatesigningrequests/nodeclient", "create")]),
            ClusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [Rule("certificates.k8s.io", "certificatesigningrequests/selfnodeclient", "create")]),
            ClusterRole("system:node", NodeAuthorizer.NodeRules.ToList()),
            ClusterRole("system:node-proxier",
            [
                Rule("", "endpoints,services", "list,watch"),
                Rule("", "nodes", "get,list,watch"),
                Rule("", "events", "create,patch,update"),
                Rule("events.k8s.io", "events", "create,patch,update"),
                Rule("discovery.k8s.io", "endpointslices", "list,watch"),
            ]),
            ClusterRole("system:kube-dns", [Rule("", "endpoints,services", "list,watch")]),
            ClusterRole("system:kube-scheduler",
            [
                Rule("", "events", "create,patch,update"),
                Rule("events.k8s.io", "events", "create,patch,update"),
                Rule("coordination.k8s.io", "leases", "create"),
                Rule("coordination.k8s.io", "leases", "get,update", names: ["kube-scheduler"]),
                Rule("", "endpoints", "create"),
                Rule("", "endpoints", "get,update", names: ["kube-scheduler"]),
                Rule("", "nodes", ReadOnly),
                Rule("", "pods", "delete,get,list,watch"),
                Rule("", "bindings,pods/binding", "create"),
                Rule("", "pods/status", "patch,update"),
                Rule("", "replicationcontrollers,services", ReadOnly),
                Rule("apps", "replicasets,statefulsets", ReadOnly),
                Rule("policy", "poddisruptionbudgets", ReadOnly),
                Rule("", "persistentvolumeclaims,persistentvolumes", ReadOnly),
                Rule("authentication.k8s.io", "tokenreviews", "create"),
                Rule("authorization.k8s.io", "subjectaccessreviews", "create"),
                Rule("storage.k8s.io", "csinodes,csidrivers,csistoragecapacities,storageclasses", ReadOnly),
                Rule("", "namespaces", ReadOnly),
                Rule("", "configmaps", ReadOnly),
            ]),
            ClusterRole("system:kube-controller-manager",
            [
                Rule("", "events", "create,patch,update"),
                Rule("events.k8s.io", "events", "create,patch,update"),
                Rule("coordination.k8s.io", "leases", "create"),
                Rule("coordination.k8s.io", "leases", "get,update", names: ["kube-controller-manager"]),
                Rule("", "secrets,serviceaccounts", "create"),
                Rule("", "configmaps,namespaces,secrets,serviceaccounts", "get"),
                Rule("", "secrets,serviceaccounts", "update"),
                Rule("authentication.k8s.io", "tokenreviews", "create"),
                Rule("authorization.k8s.io", "subjectaccessreviews", "create"),
                Rule("*", "*", "list,watch"),
                Rule("", "serviceaccounts/token", "create"),
            ]),
        ];
    }

    private static List<JsonObject> BuildClusterRoleBindings() =>
    [
        Binding("ClusterRoleBinding", "cluster-admin", "ClusterRole", "cluster-admin", null, [Group("system:masters")]),
        Binding("ClusterRoleBinding", "system:discovery", "ClusterRole", "system:discovery", null, [Group("system:authenticated")]),
        Binding("ClusterRoleBinding", "system:basic-user", "ClusterRole", "system:basic-user", null, [Group("system:authenticated")]),
        Binding("ClusterRoleBinding", "system:public-info-viewer", "ClusterRole", "system:public-info-viewer", null, [Group("system:authenticated"), Group("system:unauthenticated")]),
        Binding("ClusterRoleBinding", "system:monitoring", "ClusterRole", "system:monitoring", null, [Group("system:monitoring")]),
        Binding("ClusterRoleBinding", "system:service-account-issuer-discovery", "ClusterRole", "system:service-account-issuer-discovery", null, [Group("system:serviceaccounts")]),
        Binding("ClusterRoleBinding", "system:node-proxier", "ClusterRole", "system:node-proxier", null, [User("system:kube-proxy")]),
        Binding("ClusterRoleBinding", "system:kube-dns", "ClusterRole", "system:kube-dns", null, [ServiceAccount("kube-system", "kube-dns")]),
        Binding("ClusterRoleBinding", "system:kube-scheduler", "ClusterRole", "system:kube-scheduler", null, [User("system:kube-scheduler")]),
        Binding("ClusterRoleBinding", "system:kube-controller-manager", "ClusterRole", "system:kube-controller-manager", null, [User("system:kube-controller-manager")]),
        Binding("ClusterRoleBinding", "system:node", "ClusterRole", "system:node", null, []),
    ];

    private static JsonObject ClusterRole(string name, List<PolicyRule> rules, string? aggregateTo = null)
    {
        var labels = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" };
        if (aggregateTo is not null)
        {
            labels["rbac.authorization.k8s.io/aggregate-to-" + aggregateTo] = "true";
        }

        var rulesJson = new JsonArray();
        foreach (var rule in rules)
        {
            rulesJson.Add((JsonNode)rule.ToJson());
        }

        return new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = labels,
                ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
            },
            ["rules"] = rulesJson,
        };
    }

    private static JsonObject Aggregated(string name, string selectorLabel, string? aggregateTo = null)
    {
        var role = ClusterRole(name, [], aggregateTo);
        role["aggregationRule"] = new JsonObject
        {
            ["clusterRoleSelectors"] = new JsonArray((JsonNode)new JsonObject { ["matchLabels"] = new JsonObject { [selectorLabel] = "true" } }),
        };
        return role;
    }

    private static JsonObject Role(string ns, string name, List<PolicyRule> rules)
    {
        var role = ClusterRole(name, rules);
        role["kind"] = "Role";
        role["metadata"]!["namespace"] = ns;
        return role;
    }

    private static JsonObject Binding(string kind, string name, string roleKind, string roleName, string? ns, JsonObject[] subjects)
    {
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
        };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }

        var binding = new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = kind,
            ["metadata"] = metadata,
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = roleKind, ["name"] = roleName },
        };
        if (subjects.Length > 0)
        {
            var list = new JsonArray();
            foreach (var subject in subjects)
            {
                list.Add((JsonNode)subject);
            }

            binding["subjects"] = list;
        }

        return binding;
    }

    private static JsonObject User(string name) => new() { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "User", ["name"] = name };

    private static JsonObject Group(string name) => new() { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Group", ["name"] = name };

    private static JsonObject ServiceAccount(string ns, string name) => new() { ["kind"] = "ServiceAccount", ["name"] = name, ["namespace"] = ns };

    internal static PolicyRule Rule(string groups, string resources, string verbs, string[]? names = null) =>
        new(verbs.Split(','), groups.Split(','), resources.Split(','), names ?? [], []);

    private static PolicyRule NonResource(string urls, string verbs) => PolicyRule.NonResource(urls.Split(','), verbs.Split(','));
}
