using Monokube.Controllers.Bootstrap;
using Monokube.Controllers.Certificates;
using Monokube.Controllers.Endpoints;
using Monokube.Controllers.GarbageCollection;
using Monokube.Controllers.Namespaces;
using Monokube.Controllers.Nodes;
using Monokube.Controllers.Rbac;
using Monokube.Controllers.ServiceAccounts;
using Monokube.Controllers.Workloads;

namespace Monokube.Controllers;

/// <summary>The controllers monokube's controller-manager runs, by kube-controller-manager's names.</summary>
public static class BuiltinControllers
{
    // A controller that needs something not given stays off (no CA bundle to publish, no CA key to sign with, no
    // key to sign tokens with, --allocate-node-cidrs not set), as in kube-controller-manager.
    public static IReadOnlyList<ControllerDescriptor> All { get; } =
    [
        new("serviceaccount-token-controller", "serviceaccount-token", "", c => new TokensController(c), CanRun: o => o.ServiceAccountPrivateKey is not null),
        new("replicaset-controller", "replicaset", "replicaset-controller", c => new ReplicaSetController(c)),
        new("deployment-controller", "deployment", "deployment-controller", c => new DeploymentController(c)),
        new("daemonset-controller", "daemonset", "daemon-set-controller", c => new DaemonSetController(c)),
        new("garbage-collector-controller", "garbagecollector", "generic-garbage-collector", c => new GarbageCollector(c)),
        new("namespace-controller", "namespace", "namespace-controller", c => new NamespaceController(c)),
        new("serviceaccount-controller", "serviceaccount", "service-account-controller", c => new ServiceAccountController(c)),
        new("clusterrole-aggregation-controller", "clusterrole-aggregation", "clusterrole-aggregation-controller", c => new ClusterRoleAggregationController(c)),
        new("root-ca-certificate-publisher-controller", "root-ca-cert-publisher", "root-ca-cert-publisher", c => new RootCaPublisher(c), CanRun: o => o.RootCaPem is not null),
        new("certificatesigningrequest-approving-controller", "csrapproving", "certificate-controller", c => new CsrApprovingController(c)),
        new("certificatesigningrequest-signing-controller", "csrsigning", "certificate-controller", c => new CsrSigningController(c), CanRun: o => o.SigningCertificate?.HasPrivateKey == true),
        new("node-ipam-controller", "nodeipam", "node-controller", c => new NodeIpamController(c), CanRun: o => o.NodeIpam is not null),
        new("node-lifecycle-controller", "nodelifecycle", "node-controller", c => new NodeLifecycleController(c)),
        new("endpoints-controller", "endpoint", "endpoint-controller", c => new EndpointsController(c)),
        new("endpointslice-controller", "endpointslice", "endpointslice-controller", c => new EndpointSliceController(c)),
        new("bootstrap-signer-controller", "bootstrapsigner", "bootstrap-signer", c => new BootstrapSigner(c), DisabledByDefault: true),
        new("token-cleaner-controller", "tokencleaner", "token-cleaner", c => new TokenCleaner(c), DisabledByDefault: true),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(c => c.Name)];

    /// <summary>The controllers "*" leaves off; they run only when named.</summary>
    public static IReadOnlyList<string> DisabledByDefault { get; } = [.. All.Where(c => c.DisabledByDefault).Select(c => c.Name)];

    /// <summary>The canonical name of a controller named by its name or its older alias; null when unknown.</summary>
    public static string? Canonical(string name) =>
        All.FirstOrDefault(c => c.Name == name || c.Alias == name)?.Name;

    /// <summary>The enabled controllers (--controllers), created for one leadership term.</summary>
    public static IReadOnlyList<Controller> Create(ControllerContext context) =>
        [.. All.Where(c => context.Options.IsEnabled(c.Name) && (c.CanRun?.Invoke(context.Options) ?? true))
            .Select(c => c.Create(c.ServiceAccount.Length == 0 ? context : context.WithClient(context.ClientFor(c.ServiceAccount))))];
}
