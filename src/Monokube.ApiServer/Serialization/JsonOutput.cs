using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Serialization;

/// <summary>How monokube writes JSON: compact, and escaping no more than needed (kube writes "+" and "'" as is).</summary>
public static class JsonOutput
{
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
        MaxDepth = JsonBodyParser.MaxDepth + 64,
    };

    // A buffer larger than this after a write is not kept for the thread's next one.
    private const int KeptBufferBytes = 256 * 1024;

    // Each thread writes into a buffer of its own, reused, instead of growing a new one from 1 KiB for each object.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static byte[] ToBytes(JsonNode node) => ToBytes(node, static (writer, n) => n.WriteTo(writer));

    /// <summary>The bytes <paramref name="write"/> writes, through the thread's reused buffer and writer.</summary>
    public static byte[] ToBytes<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(16 * 1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            write(writer, state);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity > KeptBufferBytes)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }
}
