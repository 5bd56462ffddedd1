namespace Monokube.Bootstrap.Start;

/// <summary>How monokube start waits and hands over (its flags).</summary>
public sealed class StartOptions
{
    /// <summary>The pods that must be Running and Ready before the handover, as namespace/name-prefix.</summary>
    public IReadOnlyList<string> RequiredPods { get; init; } =
        ["kube-system/kube-apiserver", "kube-system/kube-controller-manager", "kube-system/kube-scheduler", "kube-system/kubelet"];

    /// <summary>How long the whole pivot may take before start gives up with a diagnosis.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>How long the address may stay silent after monokube closed its listener before it serves again.</summary>
    public TimeSpan HandoverTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the cluster's state is read while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}
