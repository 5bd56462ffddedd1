using System.Buffers;
using System.Text;

namespace Monokube.ApiServer.OpenApi;

/// <summary>A minimal protobuf writer: varints, strings, bools and length-delimited nested messages.</summary>
internal sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public void String(int field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        Tag(field, 2);
        var bytes = Encoding.UTF8.GetBytes(value);
        Varint((ulong)bytes.Length);
        _buffer.Write(bytes);
    }

    /// <summary>A repeated string element (written even when empty).</summary>
    public void RepeatedString(int field, string value)
    {
        Tag(field, 2);
        var bytes = Encoding.UTF8.GetBytes(value);
        Varint((ulong)bytes.Length);
        _buffer.Write(bytes);
    }

    public void Bool(int field, bool value, bool always = false)
    {
        if (!value && !always)
        {
            return;
        }

        Tag(field, 0);
        Varint(value ? 1UL : 0UL);
    }

    /// <summary>A nested message; written even when empty, since message presence carries meaning.</summary>
    public void Message(int field, Action<ProtoWriter> body)
    {
        var nested = new ProtoWriter();
        body(nested);
        Tag(field, 2);
        Varint((ulong)nested.Written.Length);
        _buffer.Write(nested.Written);
    }

    private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    private void Varint(ulong value)
    {
        Span<byte> bytes = stackalloc byte[10];
        var i = 0;
        while (value >= 0x80)
        {
            bytes[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        bytes[i++] = (byte)value;
        _buffer.Write(bytes[..i]);
    }
}
