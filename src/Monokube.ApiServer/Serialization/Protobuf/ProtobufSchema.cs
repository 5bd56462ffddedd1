using System.Collections.Frozen;

namespace Monokube.ApiServer.Serialization.Protobuf;

/// <summary>How a field repeats on the wire.</summary>
internal enum FieldShape
{
    Single,
    Repeated,
    Map,
}

/// <summary>
/// One field of a Kubernetes protobuf message: its JSON name, whether it is inlined into the parent object, whether
/// a zero value is left out of the JSON (Go's omitempty on a non-pointer scalar), and its type — a scalar
/// (string, int32, int64, bool, bytes) or another message.
/// </summary>
internal sealed record ProtoField(int Number, string JsonName, bool Inline, bool OmitZero, FieldShape Shape, string Type)
{
    public bool IsScalar => Type is "string" or "int32" or "int64" or "bool" or "bytes";
}

/// <summary>
/// The wire layout of the Kubernetes API types, loaded from the embedded table <c>protobuf-fields.tsv</c>
/// (message, field number, JSON name, type). Message names are short: <c>core.v1.Pod</c>, <c>meta.v1.ObjectMeta</c>.
/// </summary>
internal static class ProtobufSchema
{
    private static readonly Lazy<FrozenDictionary<string, FrozenDictionary<int, ProtoField>>> Messages = new(Load);

    public static FrozenDictionary<int, ProtoField>? Find(string message) =>
        Messages.Value.TryGetValue(message, out var fields) ? fields : null;

    /// <summary>The message of a top-level kind in a group/version, as its protobuf package names it.</summary>
    public static string MessageFor(string apiVersion, string kind)
    {
        // DeleteOptions is registered in every group version, but it is always the meta/v1 message.
        if (kind is "DeleteOptions")
        {
            return "meta.v1.DeleteOptions";
        }

        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        var package = group.Length == 0 ? "core" : group.Split('.')[0];
        return $"{package}.{version}.{kind}";
    }

    private static FrozenDictionary<string, FrozenDictionary<int, ProtoField>> Load()
    {
        using var stream = typeof(ProtobufSchema).Assembly.GetManifestResourceStream("protobuf-fields.tsv")
            ?? throw new InvalidOperationException("the protobuf field table is not embedded in the assembly");
        using var reader = new StreamReader(stream);
        var messages = new Dictionary<string, Dictionary<int, ProtoField>>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var columns = line.Split('\t');
            var (name, inline, omitZero) = columns[2] switch
            {
                "*" => ("", true, false),
                var n when n.EndsWith('?') => (n[..^1], false, true),
                var n => (n, false, false),
            };
            var type = columns[3];
            var shape = FieldShape.Single;
            if (type.StartsWith("[]", StringComparison.Ordinal))
            {
                (shape, type) = (FieldShape.Repeated, type[2..]);
            }
            else if (type.StartsWith("{}", StringComparison.Ordinal))
            {
                (shape, type) = (FieldShape.Map, type[2..]);
            }

            var number = int.Parse(columns[1], System.Globalization.CultureInfo.InvariantCulture);
            if (!messages.TryGetValue(columns[0], out var fields))
            {
                messages[columns[0]] = fields = [];
            }

            fields[number] = new ProtoField(number, name, inline, omitZero, shape, type);
        }

        return messages.ToFrozenDictionary(m => m.Key, m => m.Value.ToFrozenDictionary(), StringComparer.Ordinal);
    }
}
