namespace Monokube.ApiServer.Security.Authentication;

/// <summary>An authenticator's answer: a user, a failure (the request gets 401), or "not mine" (the next one tries).</summary>
public readonly record struct AuthenticationResult(UserInfo? User, string? Failure)
{
    public static AuthenticationResult NotApplicable => default;

    public bool Handled => User is not null || Failure is not null;

    public static AuthenticationResult Success(UserInfo user) => new(user, null);

    public static AuthenticationResult Fail(string reason) => new(null, reason);
}
