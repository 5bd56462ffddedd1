using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Serialization.Protobuf;

/// <summary>A protobuf body that cannot be decoded; the message says why, for a 400 or 415 Status.</summary>
public sealed class ProtobufException(string message, bool unsupported = false) : Exception(message)
{
    /// <summary>The body is well formed but names a kind monokube has no protobuf layout for.</summary>
    public bool Unsupported { get; } = unsupported;
}

/// <summary>
/// Decodes Kubernetes protobuf request bodies (<c>application/vnd.kubernetes.protobuf</c>, which client-go's typed
/// clients send from 1.32 on) into the JSON object Go's encoding/json would have produced from the same value.
/// The body is the magic <c>k8s\0</c> and a runtime.Unknown envelope: {1 typeMeta {1 apiVersion, 2 kind}, 2 raw}.
/// The Kubernetes types have no cycles (at most 15 messages deep), so the recursion is bounded by the table.
/// </summary>
public static class ProtobufDecoder
{
    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    /// <summary>Decodes an enveloped object; apiVersion and kind come from the envelope.</summary>
    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith(Magic))
        {
            throw new ProtobufException("the protobuf body does not start with the Kubernetes magic number \"k8s\\0\"");
        }

        string apiVersion = "", kind = "";
        var raw = ReadOnlySpan<byte>.Empty;
        var envelope = new WireReader(body[Magic.Length..]);
        while (envelope.Next(out var number, out var wireType))
        {
            switch (number)
            {
                case 1 when wireType == WireType.Length:
                    var typeMeta = new WireReader(envelope.ReadBytes());
                    while (typeMeta.Next(out var metaNumber, out var metaType))
                    {
                        if (metaNumber is 1 or 2 && metaType == WireType.Length)
                        {
                            var value = Utf8(typeMeta.ReadBytes());
                            (apiVersion, kind) = metaNumber == 1 ? (value, kind) : (apiVersion, value);
                        }
                        else
                        {
                            typeMeta.Skip(metaType);
                        }
                    }

                    break;
                case 2 when wireType == WireType.Length:
                    raw = envelope.ReadBytes();
                    break;
                default:
                    envelope.Skip(wireType);
                    break;
            }
        }

        if (kind.Length == 0 || apiVersion.Length == 0)
        {
            throw new ProtobufException("the protobuf envelope names no apiVersion and kind");
        }

        var message = ProtobufSchema.MessageFor(apiVersion, kind);
        var fields = ProtobufSchema.Find(message)
            ?? throw new ProtobufException($"protobuf bodies of {kind} ({apiVersion}) are not supported; send it as application/json", unsupported: true);
        var obj = new JsonObject
        {
            ["kind"] = kind,
            ["apiVersion"] = apiVersion,
        };
        DecodeInto(obj, fields, raw);

        // Re-read as text so that numbers behave as in a parsed JSON body (any integer width reads back).
        return JsonNode.Parse(obj.ToJsonString())!.AsObject();
    }

    private static void DecodeInto(JsonObject target, IReadOnlyDictionary<int, ProtoField> fields, ReadOnlySpan<byte> bytes)
    {
        var reader = new WireReader(bytes);
        while (reader.Next(out var number, out var wireType))
        {
            if (!fields.TryGetValue(number, out var field))
            {
                // Fields of newer API versions are skipped, as Go's decoder does.
                reader.Skip(wireType);
                continue;
            }

            if (field.Inline)
            {
                Expect(field, wireType, WireType.Length);
                DecodeInto(target, Fields(field.Type), reader.ReadBytes());
                continue;
            }

            switch (field.Shape)
            {
                case FieldShape.Single:
                    var value = ReadValue(ref reader, field, wireType);
                    if (field.OmitZero && IsZero(value))
                    {
                        target.Remove(field.JsonName);
                    }
                    else
                    {
                        target[field.JsonName] = value;
                    }

                    break;
                case FieldShape.Repeated:
                    if (target[field.JsonName] is not JsonArray array)
                    {
                        target[field.JsonName] = array = [];
                    }

                    if (wireType == WireType.Length && field.Type is "int32" or "int64" or "bool")
                    {
                        // Packed numbers: Go writes them one tag each, but accepts (and so must we) the packed form.
                        var packed = new WireReader(reader.ReadBytes());
                        while (!packed.AtEnd)
                        {
                            array.Add((JsonNode)Scalar(field.Type, packed.ReadVarint()));
                        }
                    }
                    else
                    {
                        array.Add(ReadValue(ref reader, field, wireType));
                    }

                    break;
                case FieldShape.Map:
                    Expect(field, wireType, WireType.Length);
                    if (target[field.JsonName] is not JsonObject map)
                    {
                        target[field.JsonName] = map = [];
                    }

                    var (key, entryValue) = ReadMapEntry(reader.ReadBytes(), field);
                    map[key] = entryValue;
                    break;
            }
        }
    }

    private static (string Key, JsonNode? Value) ReadMapEntry(ReadOnlySpan<byte> bytes, ProtoField field)
    {
        var key = "";
        JsonNode? value = null;
        var seenValue = false;
        var entry = new WireReader(bytes);
        while (entry.Next(out var number, out var wireType))
        {
            if (number == 1)
            {
                Expect(field, wireType, WireType.Length);
                key = Utf8(entry.ReadBytes());
            }
            else if (number == 2)
            {
                value = ReadValue(ref entry, field, wireType);
                seenValue = true;
            }
            else
            {
                entry.Skip(wireType);
            }
        }

        // A missing value is the zero value of its type (Go writes both, but may leave either out).
        if (!seenValue)
        {
            value = field.IsScalar ? ZeroOf(field.Type) : DecodeMessage(field.Type, []);
        }

        return (key, value);
    }

    private static JsonNode? ReadValue(ref WireReader reader, ProtoField field, WireType wireType)
    {
        switch (field.Type)
        {
            case "string":
                Expect(field, wireType, WireType.Length);
                return JsonValue.Create(Utf8(reader.ReadBytes()));
            case "bytes":
                Expect(field, wireType, WireType.Length);
                return JsonValue.Create(Convert.ToBase64String(reader.ReadBytes()));
            case "int32" or "int64" or "bool":
                Expect(field, wireType, WireType.Varint);
                return Scalar(field.Type, reader.ReadVarint());
            default:
                Expect(field, wireType, WireType.Length);
                return DecodeMessage(field.Type, reader.ReadBytes());
        }
    }

    // Messages whose JSON form is not an object are decoded by hand; every other message becomes an object.
    private static JsonNode? DecodeMessage(string type, ReadOnlySpan<byte> bytes)
    {
        switch (type)
        {
            case "api.resource.Quantity":
                return JsonValue.Create(ReadString(bytes, 1) ?? "0");
            case "meta.v1.Time" or "meta.v1.MicroTime":
                // A zero time is written as an empty message; Go's JSON for it is null.
                if (bytes.IsEmpty)
                {
                    return null;
                }

                var (seconds, nanos) = ReadTime(bytes);
                var time = DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(nanos / 100);
                return JsonValue.Create(type == "meta.v1.Time" ? KubeTime.Format(time) : KubeTime.FormatMicro(time));
            case "util.intstr.IntOrString":
                return DecodeIntOrString(bytes);
            case "meta.v1.FieldsV1" or "runtime.RawExtension":
                return DecodeRawJson(ReadRaw(bytes), type);
            case "meta.v1.Verbs":
            case var extra when extra.EndsWith(".ExtraValue", StringComparison.Ordinal):
                var items = new JsonArray();
                var reader = new WireReader(bytes);
                while (reader.Next(out var number, out var wireType))
                {
                    if (number == 1 && wireType == WireType.Length)
                    {
                        items.Add((JsonNode?)JsonValue.Create(Utf8(reader.ReadBytes())));
                    }
                    else
                    {
                        reader.Skip(wireType);
                    }
                }

                return items;
            default:
                var obj = new JsonObject();
                DecodeInto(obj, Fields(type), bytes);
                return obj;
        }
    }

    private static JsonNode DecodeIntOrString(ReadOnlySpan<byte> bytes)
    {
        long kind = 0, intValue = 0;
        var text = "";
        var reader = new WireReader(bytes);
        while (reader.Next(out var number, out var wireType))
        {
            switch (number)
            {
                case 1 when wireType == WireType.Varint:
                    kind = (long)reader.ReadVarint();
                    break;
                case 2 when wireType == WireType.Varint:
                    intValue = (int)reader.ReadVarint();
                    break;
                case 3 when wireType == WireType.Length:
                    text = Utf8(reader.ReadBytes());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return kind == 1 ? JsonValue.Create(text) : JsonValue.Create(intValue);
    }

    private static JsonNode? DecodeRawJson(ReadOnlySpan<byte> raw, string type)
    {
        if (raw.IsEmpty)
        {
            return type == "meta.v1.FieldsV1" ? new JsonObject() : null;
        }

        try
        {
            return JsonNode.Parse(raw.ToArray());
        }
        catch (System.Text.Json.JsonException)
        {
            throw new ProtobufException($"the raw bytes of a {type[(type.LastIndexOf('.') + 1)..]} in the protobuf body are not JSON");
        }
    }

    private static ReadOnlySpan<byte> ReadRaw(ReadOnlySpan<byte> bytes)
    {
        var raw = ReadOnlySpan<byte>.Empty;
        var reader = new WireReader(bytes);
        while (reader.Next(out var number, out var wireType))
        {
            if (number == 1 && wireType == WireType.Length)
            {
                raw = reader.ReadBytes();
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return raw;
    }

    private static string? ReadString(ReadOnlySpan<byte> bytes, int wanted)
    {
        string? value = null;
        var reader = new WireReader(bytes);
        while (reader.Next(out var number, out var wireType))
        {
            if (number == wanted && wireType == WireType.Length)
            {
                value = Utf8(reader.ReadBytes());
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return value;
    }

    private static (long Seconds, int Nanos) ReadTime(ReadOnlySpan<byte> bytes)
    {
        long seconds = 0;
        var nanos = 0;
        var reader = new WireReader(bytes);
        while (reader.Next(out var number, out var wireType))
        {
            if (number == 1 && wireType == WireType.Varint)
            {
                seconds = (long)reader.ReadVarint();
            }
            else if (number == 2 && wireType == WireType.Varint)
            {
                nanos = (int)reader.ReadVarint();
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        // Kubernetes times run from year 1 to 9999; anything else is not a time a client could mean.
        if (seconds is < -62135596800 or > 253402300799 || nanos is < 0 or > 999_999_999)
        {
            throw new ProtobufException($"the protobuf body holds a time out of range ({seconds}s)");
        }

        return (seconds, nanos);
    }

    private static JsonValue Scalar(string type, ulong varint) => type switch
    {
        "bool" => JsonValue.Create(varint != 0),

        // Negative int32 values are sign-extended to ten bytes; the low 32 bits are the value.
        "int32" => JsonValue.Create(unchecked((int)varint)),
        _ => JsonValue.Create(unchecked((long)varint)),
    };

    private static JsonValue ZeroOf(string type) => type switch
    {
        "string" or "bytes" => JsonValue.Create(""),
        "bool" => JsonValue.Create(false),
        _ => JsonValue.Create(0),
    };

    private static bool IsZero(JsonNode? value) => value is JsonValue v && v.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.String => v.GetValue<string>().Length == 0,
        System.Text.Json.JsonValueKind.False => true,
        System.Text.Json.JsonValueKind.Number => v.ToJsonString() == "0",
        _ => false,
    };

    private static IReadOnlyDictionary<int, ProtoField> Fields(string message) =>
        ProtobufSchema.Find(message) ?? throw new ProtobufException($"the protobuf message {message} is not known");

    private static void Expect(ProtoField field, WireType actual, WireType expected)
    {
        if (actual != expected)
        {
            throw new ProtobufException($"field {field.Number} ({field.JsonName}) of the protobuf body has wire type {(int)actual}, expected {(int)expected}");
        }
    }

    private static string Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Utf8Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtobufException("a string in the protobuf body is not valid UTF-8");
        }
    }

    private static readonly UTF8Encoding Utf8Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private enum WireType
    {
        Varint = 0,
        Fixed64 = 1,
        Length = 2,
        StartGroup = 3,
        EndGroup = 4,
        Fixed32 = 5,
    }

    /// <summary>Reads protobuf wire format from a span; every malformed input is a <see cref="ProtobufException"/>.</summary>
    private ref struct WireReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public readonly bool AtEnd => _position >= _bytes.Length;

        public bool Next(out int number, out WireType wireType)
        {
            if (AtEnd)
            {
                (number, wireType) = (0, WireType.Varint);
                return false;
            }

            var tag = ReadVarint();
            number = (int)(tag >> 3);
            wireType = (WireType)(tag & 7);
            if (tag >> 3 is 0 or > int.MaxValue || wireType is > WireType.Fixed32)
            {
                throw new ProtobufException($"the protobuf body has an invalid field tag {tag}");
            }

            return true;
        }

        public ulong ReadVarint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                if (_position >= _bytes.Length)
                {
                    throw Truncated();
                }

                var b = _bytes[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new ProtobufException("the protobuf body has a varint longer than ten bytes");
        }

        public ReadOnlySpan<byte> ReadBytes()
        {
            var length = ReadVarint();
            if (length > (ulong)(_bytes.Length - _position))
            {
                throw Truncated();
            }

            var slice = _bytes.Slice(_position, (int)length);
            _position += (int)length;
            return slice;
        }

        public void Skip(WireType wireType)
        {
            switch (wireType)
            {
                case WireType.Varint:
                    ReadVarint();
                    break;
                case WireType.Fixed64:
                    Advance(8);
                    break;
                case WireType.Fixed32:
                    Advance(4);
                    break;
                case WireType.Length:
                    ReadBytes();
                    break;
                default:
                    throw new ProtobufException("the protobuf body uses groups, which Kubernetes messages never do");
            }
        }

        private void Advance(int count)
        {
            if (_bytes.Length - _position < count)
            {
                throw Truncated();
            }

            _position += count;
        }

        private static ProtobufException Truncated() => new("the protobuf body is truncated");
    }
}
