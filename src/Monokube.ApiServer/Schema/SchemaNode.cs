namespace Monokube.ApiServer.Schema;

/// <summary>
/// A structural schema: the type of a value, the properties of an object (built lazily, since model types refer
/// to themselves), the schema of array items or map values, and the patch metadata of the property that holds it.
/// </summary>
public sealed class SchemaNode
{
    private readonly Func<IReadOnlyDictionary<string, SchemaNode>>? _properties;
    private IReadOnlyDictionary<string, SchemaNode>? _builtProperties;

    public SchemaNode(SchemaType type, string? modelName = null, Func<IReadOnlyDictionary<string, SchemaNode>>? properties = null, SchemaNode? items = null)
    {
        Type = type;
        ModelName = modelName;
        _properties = properties;
        Items = items;
    }

    public SchemaType Type { get; }

    /// <summary>The model type's name for objects ("V1PodSpec"), which names its OpenAPI definition.</summary>
    public string? ModelName { get; }

    /// <summary>Array items or map values.</summary>
    public SchemaNode? Items { get; }

    /// <summary>A custom resource's nullable field: null is kept rather than dropped.</summary>
    public bool Nullable { get; init; }

    /// <summary>An object whose unknown fields are kept (x-kubernetes-preserve-unknown-fields beside properties).</summary>
    public bool PreservesUnknownFields { get; init; }

    /// <summary>
    /// A custom resource's list that merges (x-kubernetes-list-type map or set); built-in lists take theirs from the
    /// field that holds them (<see cref="Patching.PatchStrategies"/>).
    /// </summary>
    public Patching.PatchStrategy? ListStrategy { get; init; }

    /// <summary>A custom resource's object or map with x-kubernetes-map-type: atomic: owned and replaced whole.</summary>
    public bool Atomic { get; init; }

    public IReadOnlyDictionary<string, SchemaNode> Properties => _builtProperties ??= _properties?.Invoke() ?? Empty;

    private static readonly Dictionary<string, SchemaNode> Empty = [];

    public static SchemaNode String { get; } = new(SchemaType.String);

    public static SchemaNode Any { get; } = new(SchemaType.Any);
}
