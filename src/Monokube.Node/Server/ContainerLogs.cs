namespace Monokube.Node.Server;

/// <summary>
/// Reads a container's log file as the kubelet's /containerLogs does: the last tailLines lines, at most limitBytes,
/// and with follow, what the run writes next until it ends or the client goes.
/// </summary>
internal static class ContainerLogs
{
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(200);

    public static async Task CopyAsync(string path, Func<bool> live, long? tailLines, long? limitBytes, bool follow, Stream output, TimeProvider time, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var remaining = limitBytes ?? long.MaxValue;
        if (tailLines is { } lines)
        {
            file.Position = await TailStartAsync(file, lines, cancellationToken);
        }

        var buffer = new byte[16 * 1024];
        while (remaining > 0)
        {
            var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken);
            if (read > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await output.FlushAsync(cancellationToken);
                remaining -= read;
                continue;
            }

            // At the end: done, unless following a run that is still going (checked before the last read, so
            // nothing written just before it ended is lost).
            if (!follow)
            {
                return;
            }

            var running = live();
            await Task.Delay(FollowPoll, time, cancellationToken);
            if (!running && file.Position >= file.Length)
            {
                return;
            }
        }
    }

    // Where the last n lines begin (a final line without its newline counts as a line).
    private static async Task<long> TailStartAsync(FileStream file, long lines, CancellationToken cancellationToken)
    {
        if (lines <= 0)
        {
            return file.Length;
        }

        var position = file.Length;
        var buffer = new byte[8192];
        long newlines = 0;
        while (position > 0)
        {
            var size = (int)Math.Min(buffer.Length, position);
            position -= size;
            file.Position = position;
            await file.ReadExactlyAsync(buffer.AsMemory(0, size), cancellationToken);
            for (var i = size - 1; i >= 0; i--)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                // The newline that ends the file does not begin a line.
                if (position + i == file.Length - 1)
                {
                    continue;
                }

                if (++newlines == lines)
                {
                    return position + i + 1;
                }
            }
        }

        return 0;
    }
}
