namespace Monokube.Bench;

/// <summary>
/// One growing buffer that response bodies are read into, so reading a large answer costs the client the same every
/// time (no fresh arrays); what it returns is valid until the next fill.
/// </summary>
internal sealed class ResponseBuffer
{
    private byte[] _bytes = new byte[64 * 1024];

    public async Task<ReadOnlyMemory<byte>> FillAsync(Stream stream)
    {
        var length = 0;
        while (true)
        {
            if (length == _bytes.Length)
            {
                Array.Resize(ref _bytes, _bytes.Length * 2);
            }

            var read = await stream.ReadAsync(_bytes.AsMemory(length));
            if (read == 0)
            {
                return _bytes.AsMemory(0, length);
            }

            length += read;
        }
    }
}
