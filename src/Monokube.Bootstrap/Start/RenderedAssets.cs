using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Serialization;
using YamlDotNet.Core;

namespace Monokube.Bootstrap.Start;

/// <summary>One object of the rendered manifests, with the file it came from (for messages).</summary>
public sealed record AssetObject(string File, JsonObject Object)
{
    public string Kind => Object.GetString("kind") ?? "";

    public string ApiVersion => Object.GetString("apiVersion") ?? "";

    public string? Namespace => Object.GetString("metadata.namespace");

    public string Name => Object.GetString("metadata.name") ?? "";

    public override string ToString() => $"{File}: {Kind} {(Namespace is null ? "" : Namespace + "/")}{Name}";
}

/// <summary>
/// What monokube start reads from a rendered asset directory: the manifests (in creation order: Namespaces, then
/// CustomResourceDefinitions, then everything else, each group in file order) and the settings the rendered
/// kube-apiserver runs with (its port, service range and issuer), which monokube serves with too.
/// </summary>
public sealed partial class RenderedAssets
{
    private RenderedAssets(string directory, IReadOnlyList<AssetObject> objects, IReadOnlyDictionary<string, string> apiserverFlags)
    {
        Directory = directory;
        Objects = objects;
        ApiserverFlags = apiserverFlags;
    }

    public string Directory { get; }

    public IReadOnlyList<AssetObject> Objects { get; }

    /// <summary>The rendered kube-apiserver's --flags (name without dashes -> value).</summary>
    public IReadOnlyDictionary<string, string> ApiserverFlags { get; }

    public string Path(params string[] parts) => System.IO.Path.Combine([Directory, .. parts]);

    public static RenderedAssets Load(string directory)
    {
        var manifests = System.IO.Path.Combine(directory, "manifests");
        if (!System.IO.Directory.Exists(manifests))
        {
            throw new InvalidDataException($"{manifests} does not exist: is {directory} a directory monokube render wrote?");
        }

        var objects = new List<AssetObject>();
        foreach (var file in System.IO.Directory.EnumerateFiles(manifests).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var relative = "manifests/" + System.IO.Path.GetFileName(file);
            IReadOnlyList<JsonNode?> documents;
            try
            {
                documents = YamlBodyParser.ParseDocuments(File.ReadAllText(file));
            }
            catch (YamlException e)
            {
                throw new InvalidDataException($"{relative}: not valid YAML: {e.Message}");
            }

            foreach (var document in documents)
            {
                if (document is null)
                {
                    continue;
                }

                if (document is not JsonObject obj || obj.GetString("kind") is null || obj.GetString("apiVersion") is null || obj.GetString("metadata.name") is null)
                {
                    throw new InvalidDataException($"{relative}: every document must be an object with apiVersion, kind and metadata.name");
                }

                objects.Add(new AssetObject(relative, obj));
            }
        }

        var ordered = objects.Where(o => o.Kind == "Namespace")
            .Concat(objects.Where(o => o.Kind == "CustomResourceDefinition"))
            .Concat(objects.Where(o => o.Kind is not ("Namespace" or "CustomResourceDefinition")))
            .ToList();
        var apiserver = objects.FirstOrDefault(o => o.Kind == "DaemonSet" && o.Name == "kube-apiserver")
            ?? throw new InvalidDataException($"{manifests} has no kube-apiserver DaemonSet");
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in (apiserver.Object.Find("spec.template.spec.containers") as JsonArray ?? []).OfType<JsonObject>()
            .SelectMany(c => (c["command"] as JsonArray ?? []).Concat(c["args"] as JsonArray ?? []))
            .Select(a => a?.ToString() ?? ""))
        {
            var match = FlagPattern().Match(arg);
            if (match.Success)
            {
                flags[match.Groups[1].Value] = match.Groups[2].Value;
            }
        }

        return new RenderedAssets(directory, ordered, flags);
    }

    [GeneratedRegex("^--([a-z0-9-]+)=(.*)$")]
    private static partial Regex FlagPattern();
}
