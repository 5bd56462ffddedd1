using System.Net.Http.Headers;

namespace Monokube.Controllers.Client;

/// <summary>Puts the current token of a token source on every request (the source caches and refreshes it).</summary>
internal sealed class BearerTokenHandler(Func<CancellationToken, ValueTask<string>> tokenSource) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string token;
        try
        {
            token = await tokenSource(cancellationToken);
        }
        catch (KubeApiException e)
        {
            // No token to be had: the request fails as the API would have failed it, so controllers retry as usual.
            throw new HttpRequestException("no token for the request: " + e.Message, e);
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}
