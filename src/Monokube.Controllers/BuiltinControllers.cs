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
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(c => c.Name)];

    /// <summary>The enabled controllers (--controllers), created for one leadership term.</summary>
    public static IReadOnlyList<Controller> Create(ControllerContext context) =>
        [.. All.Where(c => context.Options.IsEnabled(c.Name)).Select(c => c.Create(context))];
}
