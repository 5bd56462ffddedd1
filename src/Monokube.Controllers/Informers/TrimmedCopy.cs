using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Monokube.Controllers.Informers;

/// <summary>
/// What an informer keeps of an object: a copy without metadata.managedFields, as kube-controller-manager and the
/// scheduler trim their informers' objects (no controller reads them, and an update without them keeps the stored
/// ones), parsed from its own compact JSON so that it holds nothing of the list or watch event it came in. The
/// parsed nodes keep the JSON they came from, so what is dropped here is memory no object of the cache holds.
/// One per informer: it reuses its buffer and is not thread-safe.
/// </summary>
internal sealed class TrimmedCopy
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    public JsonObject Of(JsonObject obj)
    {
        _buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_buffer);
        writer.WriteStartObject();
        foreach (var (name, value) in obj)
        {
            writer.WritePropertyName(name);
            if (name == "metadata" && value is JsonObject metadata)
            {
                writer.WriteStartObject();
                foreach (var (field, fieldValue) in metadata)
                {
                    if (field != "managedFields")
                    {
                        writer.WritePropertyName(field);
                        Write(writer, fieldValue);
                    }
                }

                writer.WriteEndObject();
            }
            else
            {
                Write(writer, value);
            }
        }

        writer.WriteEndObject();
        writer.Flush();
        return (JsonObject)JsonNode.Parse(_buffer.WrittenSpan)!;
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer);
        }
    }
}
