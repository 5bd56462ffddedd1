namespace Monokube.ApiServer.Security.Authorization;

/// <summary>--authorization-mode=AlwaysAllow: every authenticated request is allowed.</summary>
public sealed class AlwaysAllowAuthorizer : IAuthorizer
{
    public ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken) =>
        ValueTask.FromResult((AuthorizationDecision.Allow, ""));
}
