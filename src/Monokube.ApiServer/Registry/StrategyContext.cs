using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Registry;

/// <summary>What a strategy may use besides the object: the clock (faked in tests) and the requesting user.</summary>
public sealed record StrategyContext(TimeProvider Time, UserInfo? User = null)
{
    /// <summary>Whether pods without a service account get "default" (kube's ServiceAccount admission plugin).</summary>
    public bool DefaultServiceAccount { get; init; } = true;

    /// <summary>The Kubernetes release served: the defaults and generated fields of that release.</summary>
    public KubernetesRelease Release { get; init; } = KubernetesRelease.Default;

    public DateTimeOffset Now => Time.GetUtcNow();
}
