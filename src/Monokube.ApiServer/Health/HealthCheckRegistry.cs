namespace Monokube.ApiServer.Health;

public sealed class HealthCheckRegistry
{
    private readonly List<HealthCheck> _checks = [new HealthCheck("ping", _ => ValueTask.FromResult<string?>(null))];

    public IReadOnlyList<HealthCheck> Checks => _checks;

    public void Add(HealthCheck check)
    {
        if (_checks.Any(c => c.Name == check.Name))
        {
            throw new InvalidOperationException($"a health check named \"{check.Name}\" exists already");
        }

        _checks.Add(check);
    }
}
