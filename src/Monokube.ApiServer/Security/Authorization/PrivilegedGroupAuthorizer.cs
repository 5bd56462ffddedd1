using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>Members of system:masters may do anything, whatever RBAC says (as in kube-apiserver).</summary>
public sealed class PrivilegedGroupAuthorizer : IAuthorizer
{
    public ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken) =>
        ValueTask.FromResult(attributes.User.InGroup(UserInfo.Masters) ? (AuthorizationDecision.Allow, "") : (AuthorizationDecision.NoOpinion, ""));
}
