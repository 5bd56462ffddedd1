namespace Monokube.Node.Runtime;

/// <summary>A container cannot be configured yet (a ConfigMap, Secret or key it needs is missing); the kubelet's
/// CreateContainerConfigError, retried at the next sync.</summary>
internal sealed class ContainerConfigException(string message) : Exception(message);
