namespace Monokube.ApiServer.Security.Authorization;

public enum AuthorizationDecision
{
    NoOpinion,
    Allow,
    Deny,
}
