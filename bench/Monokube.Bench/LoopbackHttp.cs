using System.Net;

namespace Monokube.Bench;

/// <summary>HTTP/1.1 clients for a loopback server: no proxy, no decompression, at most the given connections.</summary>
internal static class LoopbackHttp
{
    public static HttpClient CreateClient(Uri server, int connections) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            UseCookies = false,
        })
        {
            BaseAddress = server,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>Throws with the server's answer when the status is not the expected one.</summary>
    public static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode} instead of {(int)expected}: {body[..Math.Min(body.Length, 500)]}");
        }
    }
}
