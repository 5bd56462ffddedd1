using System.Text.Json.Nodes;
using Monokube.ApiServer.Serialization;

namespace Monokube.Node.Runtime;

/// <summary>
/// --image-map: which images the process runtime runs, and as what. A YAML (or JSON) mapping from an image — exact,
/// or its repository without tag or digest — to the command that stands for the image's entrypoint:
/// <c>registry.k8s.io/kube-apiserver: [/usr/local/bin/monokube, serve, --controllers=none]</c>. A container's
/// command[0] is replaced by it and the rest of command and args follow; with no command, the args follow it.
/// </summary>
public sealed class ImageMap
{
    private readonly Dictionary<string, IReadOnlyList<string>> _entries;

    private ImageMap(Dictionary<string, IReadOnlyList<string>> entries)
    {
        _entries = entries;
    }

    public static ImageMap Empty { get; } = new([]);

    public int Count => _entries.Count;

    public static ImageMap Load(string path) => Parse(File.ReadAllText(path), path);

    public static ImageMap Parse(string text, string source)
    {
        if (YamlBodyParser.Parse(text) is not JsonObject root)
        {
            throw new FormatException($"{source}: an image map is a mapping from image to command");
        }

        var entries = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (image, value) in root)
        {
            IReadOnlyList<string>? command = value switch
            {
                JsonArray words when words.Count > 0 && words.All(w => w is JsonValue) => [.. words.Select(w => w!.ToString())],
                JsonValue single when single.ToString().Length > 0 => [single.ToString()],
                _ => null,
            };
            entries[image] = command ?? throw new FormatException($"{source}: the command of image \"{image}\" must be a non-empty list of strings");
        }

        return new ImageMap(entries);
    }

    /// <summary>The command that stands for the image's entrypoint, or null when the image is not mapped.</summary>
    public IReadOnlyList<string>? Find(string? image)
    {
        if (image is null)
        {
            return null;
        }

        if (_entries.TryGetValue(image, out var exact))
        {
            return exact;
        }

        var repository = Repository(image);
        return _entries.TryGetValue(repository, out var byRepository) ? byRepository : null;
    }

    /// <summary>The command line of a container of a mapped image.</summary>
    public static List<string> CommandLine(IReadOnlyList<string> entrypoint, IReadOnlyList<string> command, IReadOnlyList<string> args)
    {
        var line = new List<string>(entrypoint);
        line.AddRange(command.Skip(1));
        line.AddRange(args);
        return line;
    }

    private static string Repository(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            image = image[..at];
        }

        // A colon after the last slash is a tag; one before it belongs to a registry's port.
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[..colon] : image;
    }
}
