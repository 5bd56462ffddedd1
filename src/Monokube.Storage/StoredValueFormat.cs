using System.Buffers.Text;
using System.Text.Json;

namespace Monokube.Storage;

/// <summary>
/// kube-apiserver's value format: an object's JSON exactly as served, minus metadata.resourceVersion and
/// metadata.selfLink (the resourceVersion is the key's mod revision, so storing it would be stale at once).
/// Both directions splice bytes instead of re-serializing, so every other byte of the object is kept as written.
/// </summary>
public static class StoredValueFormat
{
    private static ReadOnlySpan<byte> MetadataProperty => "metadata"u8;
    private static ReadOnlySpan<byte> ResourceVersionProperty => "resourceVersion"u8;
    private static ReadOnlySpan<byte> SelfLinkProperty => "selfLink"u8;
    private static ReadOnlySpan<byte> UidProperty => "uid"u8;

    /// <summary>Returns the value to store: <paramref name="json"/> without metadata.resourceVersion and metadata.selfLink.</summary>
    /// <exception cref="ArgumentException">The value is not a JSON object.</exception>
    public static byte[] ToStored(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf(ResourceVersionProperty) < 0 && json.IndexOf(SelfLinkProperty) < 0)
        {
            EnsureObject(json);
            return json.ToArray();
        }

        var removals = new List<(int Start, int End)>(2);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ArgumentException("a stored value must be a JSON object", nameof(json));
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals(MetadataProperty))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var nameStart = (int)reader.TokenStartIndex;
                    var remove = reader.ValueTextEquals(ResourceVersionProperty) || reader.ValueTextEquals(SelfLinkProperty);
                    reader.Read();
                    reader.Skip();
                    if (remove)
                    {
                        removals.Add((nameStart, (int)reader.BytesConsumed));
                    }
                }
            }
        }
        catch (JsonException e)
        {
            throw new ArgumentException("a stored value must be valid JSON: " + e.Message, nameof(json), e);
        }

        return removals.Count == 0 ? json.ToArray() : RemoveMembers(json, removals);
    }

    /// <summary>Returns <paramref name="stored"/> with metadata.resourceVersion set to <paramref name="resourceVersion"/>.</summary>
    public static byte[] WithResourceVersion(ReadOnlySpan<byte> stored, long resourceVersion)
    {
        Span<byte> number = stackalloc byte[20];
        Utf8Formatter.TryFormat(resourceVersion, number, out var numberLength);
        number = number[..numberLength];

        var (insertAt, metadataEmpty, metadataFound) = FindMetadataInsertPoint(stored);
        var member = metadataFound
            ? Concat("\"resourceVersion\":\""u8, number, metadataEmpty ? "\""u8 : "\","u8)
            : Concat("\"metadata\":{\"resourceVersion\":\""u8, number, stored[(insertAt)..].TrimStart(" \t\r\n"u8).StartsWith("}"u8) ? "\"}"u8 : "\"},"u8);

        var result = new byte[stored.Length + member.Length];
        stored[..insertAt].CopyTo(result);
        member.CopyTo(result.AsSpan(insertAt));
        stored[insertAt..].CopyTo(result.AsSpan(insertAt + member.Length));
        return result;
    }

    /// <summary>Reads metadata.uid, or null when the object has none.</summary>
    public static string? ReadUid(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMetadata = reader.ValueTextEquals(MetadataProperty);
                reader.Read();
                if (!isMetadata || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isUid = reader.ValueTextEquals(UidProperty);
                    reader.Read();
                    if (isUid && reader.TokenType == JsonTokenType.String)
                    {
                        return reader.GetString();
                    }

                    reader.Skip();
                }

                return null;
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    private static void EnsureObject(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ArgumentException("a stored value must be a JSON object", nameof(json));
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new ArgumentException("a stored value must be a single JSON object", nameof(json));
            }
        }
        catch (JsonException e)
        {
            throw new ArgumentException("a stored value must be valid JSON: " + e.Message, nameof(json), e);
        }
    }

    // Finds where a member can be inserted into the top-level metadata object (just after its '{'),
    // or, when there is no metadata object, just after the top-level '{'.
    private static (int InsertAt, bool MetadataEmpty, bool MetadataFound) FindMetadataInsertPoint(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ArgumentException("a stored value must be a JSON object", nameof(json));
        }

        var objectStart = (int)reader.BytesConsumed;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMetadata = reader.ValueTextEquals(MetadataProperty);
            reader.Read();
            if (isMetadata && reader.TokenType == JsonTokenType.StartObject)
            {
                var insertAt = (int)reader.BytesConsumed;
                reader.Read();
                return (insertAt, reader.TokenType == JsonTokenType.EndObject, true);
            }

            reader.Skip();
        }

        return (objectStart, false, false);
    }

    // Removes object members given as [name start, value end) ranges, each with one adjacent comma. Members are
    // removed from the last to the first, so earlier ranges stay valid and the comma is chosen on the current text.
    private static byte[] RemoveMembers(ReadOnlySpan<byte> json, List<(int Start, int End)> members)
    {
        var buffer = json.ToArray();
        var length = buffer.Length;
        for (var i = members.Count - 1; i >= 0; i--)
        {
            var (start, end) = members[i];
            var after = end;
            while (after < length && IsWhitespace(buffer[after]))
            {
                after++;
            }

            if (after < length && buffer[after] == (byte)',')
            {
                end = after + 1;
            }
            else
            {
                var before = start - 1;
                while (before >= 0 && IsWhitespace(buffer[before]))
                {
                    before--;
                }

                if (before >= 0 && buffer[before] == (byte)',')
                {
                    start = before;
                }
            }

            Array.Copy(buffer, end, buffer, start, length - end);
            length -= end - start;
        }

        return buffer.AsSpan(0, length).ToArray();
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        var result = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        c.CopyTo(result.AsSpan(a.Length + b.Length));
        return result;
    }
}
