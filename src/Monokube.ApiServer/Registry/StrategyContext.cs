using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Registry;

/// <summary>What a strategy may use besides the object: the clock (faked in tests) and the requesting user.</summary>
public sealed record StrategyContext(TimeProvider Time, UserInfo? User = null)
{
    public DateTimeOffset Now => Time.GetUtcNow();
}
