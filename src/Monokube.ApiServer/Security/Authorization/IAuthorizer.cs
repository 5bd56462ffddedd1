namespace Monokube.ApiServer.Security.Authorization;

/// <summary>One authorizer of the chain (--authorization-mode); the first Allow or Deny decides.</summary>
public interface IAuthorizer
{
    ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken);
}
