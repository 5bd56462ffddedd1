using System.Diagnostics;
using System.Net;

namespace Monokube.Bench;

/// <summary>
/// One HTTP watch, read line by line: the resourceVersion of each MODIFIED event and the Stopwatch time its bytes
/// arrived, up to the number expected; anything else, or more, is counted as unexpected.
/// </summary>
internal sealed class WatchStream(int expected)
{
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reading = Task.CompletedTask;

    public long[] Revisions { get; } = new long[expected];

    public long[] ReceivedAt { get; } = new long[expected];

    public int Count { get; private set; }

    /// <summary>Events past the expected number, events other than MODIFIED, and lines that are not watch events.</summary>
    public int Unexpected { get; private set; }

    public string? FirstUnexpected { get; private set; }

    /// <summary>Done when the expected events arrived, or the stream ended before they did.</summary>
    public Task Completed => _complete.Task;

    /// <summary>Ends when the stream ends or <c>stop</c> of <see cref="OpenAsync"/> is cancelled.</summary>
    public Task Reading => _reading;

    /// <summary>Returns once the server answered 200 (the watch is registered); the events are read in the background.</summary>
    public async Task OpenAsync(HttpClient client, string path, CancellationToken stop)
    {
        var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, stop);
        try
        {
            await LoopbackHttp.ExpectAsync(response, HttpStatusCode.OK);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        var stream = await response.Content.ReadAsStreamAsync(stop);
        _reading = ReadAsync(response, stream, stop);
    }

    private async Task ReadAsync(HttpResponseMessage response, Stream stream, CancellationToken stop)
    {
        using var owned = response;
        await using var body = stream;
        var buffer = new byte[16 * 1024];
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                if (end == buffer.Length)
                {
                    if (start > 0)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        (start, end) = (0, end - start);
                    }
                    else
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }

                var read = await body.ReadAsync(buffer.AsMemory(end), stop);
                if (read == 0)
                {
                    break;
                }

                var now = Stopwatch.GetTimestamp();
                end += read;
                int newline;
                while ((newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n')) >= 0)
                {
                    Add(buffer.AsSpan(start, newline), now);
                    start += newline + 1;
                }

                if (start == end)
                {
                    (start, end) = (0, 0);
                }
            }
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
        }
        finally
        {
            _complete.TrySetResult();
        }
    }

    private void Add(ReadOnlySpan<byte> line, long now)
    {
        if (WatchEventLine.TryRead(line, out var modified, out var revision) && modified && Count < Revisions.Length)
        {
            Revisions[Count] = revision;
            ReceivedAt[Count] = now;
            if (++Count == Revisions.Length)
            {
                _complete.TrySetResult();
            }

            return;
        }

        Unexpected++;
        FirstUnexpected ??= System.Text.Encoding.UTF8.GetString(line[..Math.Min(line.Length, 300)]);
    }
}
