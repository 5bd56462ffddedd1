namespace Monokube.ApiServer.Health;

/// <summary>
/// One named check of /healthz, /livez or /readyz. <see cref="CheckAsync"/> returns null when healthy, otherwise
/// the reason (logged, never shown to clients, as kube-apiserver withholds it).
/// </summary>
public sealed record HealthCheck(string Name, Func<CancellationToken, ValueTask<string?>> CheckAsync, bool ReadinessOnly = false);
