namespace Monokube.ApiServer.Registry;

/// <summary>What a strategy may use besides the object: the clock (faked in tests).</summary>
public sealed record StrategyContext(TimeProvider Time)
{
    public DateTimeOffset Now => Time.GetUtcNow();
}
