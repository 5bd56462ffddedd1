using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>A watch response read event by event, each with a deadline.</summary>
internal sealed class WatchStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private WatchStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static async Task<WatchStream> OpenAsync(HttpClient http, string pathAndQuery, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        return new WatchStream(response, new StreamReader(stream));
    }

    /// <summary>The next event, or null when the server ended the watch.</summary>
    public async Task<JsonNode?> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var line = await _reader.ReadLineAsync(cts.Token);
        return line is null ? null : JsonNode.Parse(line);
    }

    public async Task<(string Type, string Name)> NextTypeAndNameAsync()
    {
        var e = await NextAsync() ?? throw new InvalidOperationException("the watch ended");
        return (e["type"]!.ToString(), e["object"]!["metadata"]?["name"]?.ToString() ?? "");
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
