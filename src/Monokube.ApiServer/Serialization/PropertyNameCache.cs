using System.Text;
using System.Text.Json;

namespace Monokube.ApiServer.Serialization;

/// <summary>
/// One string per property name seen recently: objects parsed from the store share "metadata", "name", "image" and
/// the rest instead of each holding its own copies. A fixed table indexed by a hash of the UTF-8 name; a collision
/// replaces the entry (the result is always the right name, at worst a fresh string). Invalid UTF-8 throws
/// <see cref="DecoderFallbackException"/>.
/// </summary>
internal static class PropertyNameCache
{
    private const int Slots = 4096;
    private const int MaxNameBytes = 64;
    private static readonly Entry?[] Table = new Entry?[Slots];
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Get(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > MaxNameBytes)
        {
            return reader.GetString()!;
        }

        var utf8 = reader.ValueSpan;
        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slot = hash.ToHashCode() & (Slots - 1);
        var entry = Volatile.Read(ref Table[slot]);
        if (entry is not null && utf8.SequenceEqual(entry.Utf8))
        {
            return entry.Name;
        }

        var name = Strict.GetString(utf8);
        Volatile.Write(ref Table[slot], new Entry(utf8.ToArray(), name));
        return name;
    }

    private sealed record Entry(byte[] Utf8, string Name);
}
