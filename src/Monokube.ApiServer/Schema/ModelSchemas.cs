using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;

namespace Monokube.ApiServer.Schema;

/// <summary>
/// Structural schemas derived from the KubernetesClient model types, through the metadata its System.Text.Json
/// source generator emitted (property names and types), so no reflection and no copied spec files are involved.
/// </summary>
public static class ModelSchemas
{
    private static readonly ConcurrentDictionary<Type, SchemaNode> Cache = new();

    public static SchemaNode For(Type type)
    {
        if (Cache.TryGetValue(type, out var cached))
        {
            return cached;
        }

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        var node = Build(underlying);
        return Cache.GetOrAdd(type, node);
    }

    private static SchemaNode Build(Type type)
    {
        if (type == typeof(string))
        {
            return SchemaNode.String;
        }

        if (type == typeof(bool))
        {
            return new SchemaNode(SchemaType.Boolean);
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return new SchemaNode(SchemaType.Integer);
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return new SchemaNode(SchemaType.Number);
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return new SchemaNode(SchemaType.DateTime);
        }

        if (type == typeof(byte[]))
        {
            return new SchemaNode(SchemaType.Bytes);
        }

        if (type == typeof(IntOrString))
        {
            return new SchemaNode(SchemaType.IntOrString);
        }

        if (type == typeof(ResourceQuantity))
        {
            return new SchemaNode(SchemaType.Quantity);
        }

        if (type == typeof(object))
        {
            return SchemaNode.Any;
        }

        var info = k8s.SourceGenerationContext.Default.GetTypeInfo(type);
        switch (info?.Kind)
        {
            case JsonTypeInfoKind.Enumerable:
                return new SchemaNode(SchemaType.Array, items: For(info.ElementType!));
            case JsonTypeInfoKind.Dictionary:
                return new SchemaNode(SchemaType.Map, items: For(info.ElementType!));
            case JsonTypeInfoKind.Object:
                return new SchemaNode(SchemaType.Object, type.Name, () => info.Properties
                    .Where(p => p.Get is not null || p.Set is not null)
                    .ToDictionary(p => p.Name, p => For(p.PropertyType), StringComparer.Ordinal));
            default:
                // A type the source generator knows only through a converter: accept whatever is sent.
                return SchemaNode.Any;
        }
    }
}
