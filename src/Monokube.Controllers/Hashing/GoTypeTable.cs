using System.Collections.Frozen;

namespace Monokube.Controllers.Hashing;

/// <summary>A Go type as reflect describes it: its kind, and its element and key types or struct fields.</summary>
internal sealed record GoType(string Name, string Kind, string? Elem, string? Key, IReadOnlyList<GoField> Fields);

/// <summary>A struct field: Go name and type, its JSON name and options, whether it is embedded or unexported.</summary>
internal sealed record GoField(string Name, string Type, string JsonName, bool OmitEmpty, bool Inline, bool Embedded, bool Exported);

/// <summary>
/// The Go layout of PodTemplateSpec and everything it holds (Kubernetes 1.33), from the embedded table
/// <c>pod-template-types.tsv</c>: what kube-controller-manager's hashes print and what its JSON holds.
/// </summary>
internal static class GoTypeTable
{
    private static readonly Lazy<FrozenDictionary<string, GoType>> Types = new(Load);

    public static GoType Get(string name) =>
        Types.Value.TryGetValue(name, out var type) ? type : throw new KeyNotFoundException($"the Go type {name} is not in the table");

    private static FrozenDictionary<string, GoType> Load()
    {
        using var stream = typeof(GoTypeTable).Assembly.GetManifestResourceStream("pod-template-types.tsv")
            ?? throw new InvalidOperationException("the Go type table is not embedded in the assembly");
        using var reader = new StreamReader(stream);
        var kinds = new Dictionary<string, (string Kind, string Elem, string Key)>(StringComparer.Ordinal);
        var fields = new Dictionary<string, List<(int Index, GoField Field)>>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var f = line.Split('\t');
            if (f[0] == "type")
            {
                kinds[f[1]] = (f[2], f[3], f[4]);
            }
            else
            {
                if (!fields.TryGetValue(f[1], out var list))
                {
                    fields[f[1]] = list = [];
                }

                list.Add((int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), new GoField(f[3], f[4], f[5], f[6] == "1", f[7] == "1", f[8] == "1", f[9] == "1")));
            }
        }

        return kinds.ToFrozenDictionary(
            k => k.Key,
            k => new GoType(k.Key, k.Value.Kind, NullIfEmpty(k.Value.Elem), NullIfEmpty(k.Value.Key),
                fields.TryGetValue(k.Key, out var list) ? [.. list.OrderBy(x => x.Index).Select(x => x.Field)] : []),
            StringComparer.Ordinal);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
