using Monokube.Controllers.Certificates;
using Monokube.Controllers.Endpoints;
using Monokube.Controllers.GarbageCollection;
using Monokube.Controllers.Namespaces;
using Monokube.Controllers.Nodes;
using Monokube.Controllers.ServiceAccounts;
using Monokube.Controllers.Workloads;

namespace Monokube.Controllers;

/// <summary>The controllers monokube's controller-manager runs, by kube-controller-manager's names.</summary>
public static class BuiltinControllers
{
    private static readonly (string Name, Func<ControllerContext, Controller> Create)[] All =
    [
        ("replicaset-controller", c => new ReplicaSetController(c)),
        ("deployment-controller", c => new DeploymentController(c)),
        ("daemonset-controller", c => new DaemonSetController(c)),
        ("garbage-collector-controller", c => new GarbageCollector(c)),
        ("namespace-controller", c => new NamespaceController(c)),
        ("serviceaccount-controller", c => new ServiceAccountController(c)),
        ("root-ca-certificate-publisher-controller", c => new RootCaPublisher(c)),
        ("certificatesigningrequest-approving-controller", c => new CsrApprovingController(c)),
        ("certificatesigningrequest-signing-controller", c => new CsrSigningController(c)),
        ("node-lifecycle-controller", c => new NodeLifecycleController(c)),
        ("endpoints-controller", c => new EndpointsController(c)),
        ("endpointslice-controller", c => new EndpointSliceController(c)),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(c => c.Name)];

    /// <summary>The enabled controllers (--controllers), created for one leadership term.</summary>
    public static IReadOnlyList<Controller> Create(ControllerContext context) =>
        [.. All.Where(c => context.Options.IsEnabled(c.Name) && CanRun(c.Name, context.Options)).Select(c => c.Create(context))];

    // A controller that needs something not given stays off (no CA bundle to publish, no CA key to sign with).
    private static bool CanRun(string name, ControllerOptions options) => name switch
    {
        "root-ca-certificate-publisher-controller" => options.RootCaPem is not null,
        "certificatesigningrequest-signing-controller" => options.SigningCertificate?.HasPrivateKey == true,
        _ => true,
    };
}
