namespace Monokube.Controllers;

/// <summary>
/// One controller of the controller-manager as kube-controller-manager describes it: its name, the older name
/// --controllers still accepts, whether "*" leaves it off, and the kube-system service account it acts as under
/// --use-service-account-credentials (whose system:controller:* role the bootstrap RBAC policy binds).
/// </summary>
public sealed record ControllerDescriptor(
    string Name,
    string Alias,
    string ServiceAccount,
    Func<ControllerContext, Controller> Create,
    bool DisabledByDefault = false,
    Func<ControllerOptions, bool>? CanRun = null);
