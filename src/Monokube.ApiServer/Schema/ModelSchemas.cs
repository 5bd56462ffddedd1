using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace Monokube.ApiServer.Schema;

/// <summary>
/// Structural schemas of the built-in API types, read from a compact table of the KubernetesClient models' JSON
/// properties (model-schemas.tsv, embedded; a test checks it against the models and can rewrite it). The binary
/// carries no model types and no serializer metadata for them: they made up a third of its image and most of what
/// the runtime rehydrates at start.
/// </summary>
public static class ModelSchemas
{
    private static readonly Lazy<FrozenDictionary<string, (string Name, string Type)[]>> Table = new(Load);
    private static readonly ConcurrentDictionary<string, SchemaNode> Cache = new(StringComparer.Ordinal);

    /// <summary>The schema of a model ("V1Pod"); throws for a name the table does not have.</summary>
    public static SchemaNode For(string modelName)
    {
        if (Cache.TryGetValue(modelName, out var cached))
        {
            return cached;
        }

        if (!Table.Value.TryGetValue(modelName, out var properties))
        {
            throw new KeyNotFoundException($"model {modelName} is not in model-schemas.tsv");
        }

        var node = new SchemaNode(SchemaType.Object, modelName, () => properties.ToDictionary(p => p.Name, p => Parse(p.Type), StringComparer.Ordinal));
        return Cache.GetOrAdd(modelName, node);
    }

    /// <summary>A property's type as the table writes it: a scalar name, "[]T" (array), "{}T" (map) or a model name.</summary>
    internal static SchemaNode Parse(string type) => type switch
    {
        "string" => SchemaNode.String,
        "boolean" => new SchemaNode(SchemaType.Boolean),
        "integer" => new SchemaNode(SchemaType.Integer),
        "number" => new SchemaNode(SchemaType.Number),
        "date-time" => new SchemaNode(SchemaType.DateTime),
        "bytes" => new SchemaNode(SchemaType.Bytes),
        "int-or-string" => new SchemaNode(SchemaType.IntOrString),
        "quantity" => new SchemaNode(SchemaType.Quantity),
        "any" => SchemaNode.Any,
        _ when type.StartsWith("[]", StringComparison.Ordinal) => new SchemaNode(SchemaType.Array, items: Parse(type[2..])),
        _ when type.StartsWith("{}", StringComparison.Ordinal) => new SchemaNode(SchemaType.Map, items: Parse(type[2..])),
        _ => For(type),
    };

    /// <summary>Reads the table: a line per model name, then a line per property, "TAB json name TAB type".</summary>
    internal static FrozenDictionary<string, (string Name, string Type)[]> Read(TextReader reader)
    {
        var models = new Dictionary<string, (string Name, string Type)[]>(StringComparer.Ordinal);
        string? model = null;
        var properties = new List<(string Name, string Type)>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line[0] != '\t')
            {
                Flush();
                model = line;
                continue;
            }

            var tab = line.IndexOf('\t', 1);
            if (model is null || tab < 0)
            {
                throw new FormatException($"model-schemas.tsv: a property line outside a model or without a type: {line}");
            }

            properties.Add((line[1..tab], line[(tab + 1)..]));
        }

        Flush();
        return models.ToFrozenDictionary(StringComparer.Ordinal);

        void Flush()
        {
            if (model is not null)
            {
                models.Add(model, [.. properties]);
            }

            properties.Clear();
        }
    }

    private static FrozenDictionary<string, (string Name, string Type)[]> Load()
    {
        using var stream = typeof(ModelSchemas).Assembly.GetManifestResourceStream("model-schemas.tsv")
            ?? throw new InvalidOperationException("model-schemas.tsv is not embedded in the assembly");
        using var reader = new StreamReader(stream);
        return Read(reader);
    }
}
