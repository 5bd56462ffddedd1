using System.Collections.Frozen;
using System.IO.Compression;

namespace Monokube.ApiServer.Schema;

/// <summary>
/// The descriptions of the model types and their properties, from the KubernetesClient package's documentation
/// (embedded at build time), for OpenAPI documents and kubectl explain.
/// </summary>
public static class ModelDocs
{
    private static readonly Lazy<FrozenDictionary<string, string>> Entries = new(Load);

    /// <summary>The description of a model type ("V1PodSpec").</summary>
    public static string? Type(string modelName) => Entries.Value.TryGetValue("k8s.Models." + modelName, out var text) ? text : null;

    /// <summary>The description of a property, matched from its JSON name ("nodeName" → NodeName).</summary>
    public static string? Property(string modelName, string jsonName)
    {
        var key = "k8s.Models." + modelName + "." + Normalize(jsonName);
        return Entries.Value.TryGetValue(key, out var text) ? text : null;
    }

    private static FrozenDictionary<string, string> Load()
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        using var stream = typeof(ModelDocs).Assembly.GetManifestResourceStream("model-docs.tsv.gz");
        if (stream is null)
        {
            return entries.ToFrozenDictionary();
        }

        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        while (reader.ReadLine() is { } line)
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0)
            {
                continue;
            }

            var name = line[..tab];
            var text = line[(tab + 1)..].Replace("\\n", "\n", StringComparison.Ordinal);
            var dot = name.LastIndexOf('.');

            // Property entries are keyed by a normalized name, so JSON names find them ("namespace" → NamespaceProperty).
            var isProperty = name.Count(c => c == '.') >= 3;
            var key = isProperty ? name[..(dot + 1)] + Normalize(name[(dot + 1)..]) : name;
            entries.TryAdd(key, text);
        }

        return entries.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string Normalize(string name)
    {
        var letters = new string([.. name.Where(char.IsAsciiLetterOrDigit)]).ToLowerInvariant();
        return letters.EndsWith("property", StringComparison.Ordinal) && letters.Length > 8 ? letters[..^8] : letters;
    }
}
