using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Monokube.Controllers.Hashing;

/// <summary>
/// Prints an object held as JSON the way go-spew prints the Go value it stands for, with the configuration
/// kube-controller-manager hashes templates with (<c>%#v</c>, sorted map keys, no methods, no addresses or
/// capacities): every struct field in declaration order with a <c>(type)</c> prefix, strings bare, nil slices,
/// maps and pointers as <c>&lt;nil&gt;</c>. Empty lists and maps print as nil, as they arrive after protobuf
/// decoding. Quantities, times and IntOrStrings print their Go internals.
/// </summary>
internal static class GoSpew
{
    public static string Format(JsonNode? value, string typeName)
    {
        var sb = new StringBuilder();
        Write(sb, typeName, value, typePrefix: true, roundResources: false);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, string typeName, JsonNode? value, bool typePrefix, bool roundResources)
    {
        var type = GoTypeTable.Get(typeName);
        if (typePrefix)
        {
            sb.Append('(').Append(typeName).Append(')');
        }

        switch (type.Kind)
        {
            case "ptr":
                if (value is null)
                {
                    sb.Append("<nil>");
                }
                else
                {
                    Write(sb, type.Elem!, value, typePrefix: false, roundResources);
                }

                break;
            case "slice":
                if (value is not JsonArray { Count: > 0 } array)
                {
                    sb.Append("<nil>");
                    break;
                }

                sb.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(' ');
                    }

                    Write(sb, type.Elem!, array[i], typePrefix: false, roundResources);
                }

                sb.Append(']');
                break;
            case "map":
                if (value is not JsonObject { Count: > 0 } map)
                {
                    sb.Append("<nil>");
                    break;
                }

                // kube-apiserver rounds every ResourceList up to milli-units (SetDefaults_ResourceList).
                var round = typeName == "v1.ResourceList";
                sb.Append("map[");
                var first = true;
                foreach (var (key, item) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        sb.Append(' ');
                    }

                    first = false;
                    sb.Append(key).Append(':');
                    Write(sb, type.Elem!, item, typePrefix: false, round);
                }

                sb.Append(']');
                break;
            case "struct":
                WriteStruct(sb, type, value, roundResources);
                break;
            case "string":
                sb.Append(value is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : "");
                break;
            case "bool":
                sb.Append(value?.GetValueKind() == JsonValueKind.True ? "true" : "false");
                break;
            default:
                sb.Append(value is JsonValue n && n.GetValueKind() == JsonValueKind.Number ? n.ToJsonString() : "0");
                break;
        }
    }

    private static void WriteStruct(StringBuilder sb, GoType type, JsonNode? value, bool roundResources)
    {
        switch (type.Name)
        {
            case "v1.Time":
                WriteTime(sb, value);
                return;
            case "resource.Quantity":
                WriteQuantity(sb, value, roundResources);
                return;
            case "intstr.IntOrString":
                var isString = value?.GetValueKind() == JsonValueKind.String;
                sb.Append("{Type:(intstr.Type)").Append(isString ? '1' : '0')
                  .Append(" IntVal:(int32)").Append(isString ? "0" : value?.ToJsonString() ?? "0")
                  .Append(" StrVal:(string)").Append(isString ? value!.GetValue<string>() : "").Append('}');
                return;
        }

        var obj = value as JsonObject;
        sb.Append('{');
        for (var i = 0; i < type.Fields.Count; i++)
        {
            var field = type.Fields[i];
            if (i > 0)
            {
                sb.Append(' ');
            }

            // An embedded struct without a JSON name holds the parent's own JSON fields.
            var fieldValue = field.Embedded && field.JsonName.Length == 0 ? obj : obj?[field.JsonName];
            sb.Append(field.Name).Append(':');
            Write(sb, field.Type, fieldValue, typePrefix: true, roundResources);
        }

        sb.Append('}');
    }

    // time.Time as parsed from RFC 3339 in UTC: wall holds the nanoseconds, ext the seconds since year 1, no location.
    private static void WriteTime(StringBuilder sb, JsonNode? value)
    {
        ulong wall = 0;
        long ext = 0;
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            && DateTimeOffset.TryParse(v.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            var sinceYearOne = time.UtcDateTime - DateTime.MinValue;
            ext = (long)Math.Floor(sinceYearOne.TotalSeconds);
            wall = (ulong)(sinceYearOne.Ticks % TimeSpan.TicksPerSecond * 100);
        }

        sb.Append("{Time:(time.Time){wall:(uint64)").Append(wall.ToString(CultureInfo.InvariantCulture))
          .Append(" ext:(int64)").Append(ext.ToString(CultureInfo.InvariantCulture))
          .Append(" loc:(*time.Location)<nil>}}");
    }

    private static void WriteQuantity(StringBuilder sb, JsonNode? value, bool roundResources)
    {
        var text = value?.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.ToJsonString(),
            _ => "0",
        };
        var q = GoQuantity.FromStored(text, roundResources ? -3 : null);
        sb.Append("{i:(resource.int64Amount){value:(int64)").Append(q.Value.ToString(CultureInfo.InvariantCulture))
          .Append(" scale:(resource.Scale)").Append(q.Scale.ToString(CultureInfo.InvariantCulture))
          .Append("} d:(resource.infDecAmount){Dec:(*inf.Dec)<nil>} s:(string)").Append(q.Cached)
          .Append(" Format:(resource.Format)").Append(q.Format).Append('}');
    }
}
