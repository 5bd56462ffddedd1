namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// The authorizers in --authorization-mode order: the first Allow or Deny decides; when all have no opinion the
/// request is denied with their reasons, joined by newlines, as kube-apiserver's union authorizer does.
/// </summary>
public sealed class AuthorizerChain(IReadOnlyList<IAuthorizer> authorizers)
{
    public async ValueTask<(bool Allowed, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        List<string>? reasons = null;
        foreach (var authorizer in authorizers)
        {
            var (decision, reason) = await authorizer.AuthorizeAsync(attributes, cancellationToken);
            if (decision == AuthorizationDecision.Allow)
            {
                return (true, reason);
            }

            if (reason.Length > 0)
            {
                (reasons ??= []).Add(reason);
            }

            if (decision == AuthorizationDecision.Deny)
            {
                break;
            }
        }

        return (false, reasons is null ? "" : string.Join('\n', reasons));
    }
}
