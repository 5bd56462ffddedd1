using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;
using Monokube.ApiServer.Schema;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>
/// The server's schema table (model-schemas.tsv) against the KubernetesClient models it is written from: the JSON
/// properties the serializer sees on each model reachable from a built-in resource. When the package changes, run
/// this class with MONOKUBE_WRITE_MODEL_SCHEMAS=1 to rewrite the table in the checkout.
/// </summary>
public sealed class ModelSchemaTableTests
{
    private const string TablePath = "src/Monokube.ApiServer/Schema/model-schemas.tsv";

    // Models the server names directly besides the resources' own (scale subresource, OpenAPI meta definitions).
    private static readonly string[] ExtraRoots = ["V1Scale", "V1ObjectMeta", "V1ListMeta", "V1DeleteOptions"];

    private static readonly JsonSerializerOptions Options = new() { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    [Fact]
    public void The_embedded_table_is_what_the_models_give()
    {
        var expected = Generate();
        using var stream = typeof(ModelSchemas).Assembly.GetManifestResourceStream("model-schemas.tsv")!;
        var embedded = new StreamReader(stream).ReadToEnd();
        if (embedded == expected)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("MONOKUBE_WRITE_MODEL_SCHEMAS") == "1")
        {
            File.WriteAllText(Path.Combine(RepositoryRoot.Find(), TablePath), expected);
        }

        Assert.Fail($"{TablePath} differs from the KubernetesClient models; run this test with MONOKUBE_WRITE_MODEL_SCHEMAS=1 to rewrite it, then rebuild");
    }

    [Fact]
    public void Every_built_in_resource_schema_resolves_to_the_leaves()
    {
        var seen = new HashSet<SchemaNode>();
        var resources = Registry.ResourceRegistry.CreateBuiltin().Resources.Where(r => r.Model is not null).ToList();
        Assert.True(resources.Count > 40);
        foreach (var resource in resources)
        {
            Walk(resource.Schema!, seen);
        }

        Assert.True(seen.Count(n => n.Type == SchemaType.Object) > 300);
        var pod = ModelSchemas.For("V1Pod");
        Assert.Equal(SchemaType.Array, pod.Properties["spec"].Properties["containers"].Type);
        Assert.Equal("V1Container", pod.Properties["spec"].Properties["containers"].Items!.ModelName);
        Assert.Equal(SchemaType.Map, pod.Properties["metadata"].Properties["labels"].Type);
        Assert.Equal(SchemaType.DateTime, pod.Properties["metadata"].Properties["creationTimestamp"].Type);
        Assert.Equal(SchemaType.Quantity, pod.Properties["spec"].Properties["overhead"].Items!.Type);
        Assert.Same(pod, ModelSchemas.For("V1Pod"));
        Assert.Throws<KeyNotFoundException>(() => ModelSchemas.For("V1NoSuchThing"));
    }

    [Fact]
    public void A_property_outside_a_model_is_a_format_error()
    {
        var error = Assert.Throws<FormatException>(() => ModelSchemas.Read(new StringReader("# comment\n\tname\tstring\n")));
        Assert.Contains("outside a model", error.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => ModelSchemas.Read(new StringReader("V1Foo\n\tname\n")));
        var table = ModelSchemas.Read(new StringReader("V1Empty\nV1Foo\n\tname\tstring\n\titems\t[]{}V1Empty\n"));
        Assert.Empty(table["V1Empty"]);
        Assert.Equal([("name", "string"), ("items", "[]{}V1Empty")], table["V1Foo"]);
    }

    private static void Walk(SchemaNode node, HashSet<SchemaNode> seen)
    {
        if (!seen.Add(node))
        {
            return;
        }

        if (node.Items is not null)
        {
            Walk(node.Items, seen);
        }

        foreach (var child in node.Properties.Values)
        {
            Walk(child, seen);
        }
    }

    private static string Generate()
    {
        var assembly = typeof(V1Pod).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
        var models = new SortedDictionary<string, Type>(StringComparer.Ordinal);
        var roots = Registry.ResourceRegistry.CreateBuiltin().Resources.Select(r => r.Model).OfType<string>().Concat(ExtraRoots);
        foreach (var name in roots)
        {
            models.TryAdd(name, assembly.GetType("k8s.Models." + name) ?? throw new InvalidOperationException($"KubernetesClient has no model {name}"));
        }

        // Every model the roots reach (Ref adds the ones it meets), before writing them in name order.
        var walked = new HashSet<string>(StringComparer.Ordinal);
        while (models.Keys.FirstOrDefault(n => !walked.Contains(n)) is { } next)
        {
            walked.Add(next);
            foreach (var property in Properties(models[next]))
            {
                Ref(property.PropertyType, models);
            }
        }

        var text = new StringBuilder();
        text.Append("# The JSON properties of the KubernetesClient ").Append(version).Append(" models reachable from the built-in resources.\n")
            .Append("# Written by ModelSchemaTableTests; do not edit. A model name, then TAB property TAB type per property;\n")
            .Append("# a type is a scalar (string, boolean, integer, number, date-time, bytes, int-or-string, quantity, any),\n")
            .Append("# []T (array), {}T (map with string keys) or a model name.\n");
        foreach (var (name, type) in models)
        {
            text.Append(name).Append('\n');
            foreach (var property in Properties(type))
            {
                text.Append('\t').Append(property.Name).Append('\t').Append(Ref(property.PropertyType, models)).Append('\n');
            }
        }

        return text.ToString();
    }

    private static IEnumerable<JsonPropertyInfo> Properties(Type type) =>
        Options.GetTypeInfo(type).Properties.Where(p => p.Get is not null || p.Set is not null);

    private static string Ref(Type type, SortedDictionary<string, Type> models)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "string";
        }

        if (type == typeof(bool))
        {
            return "boolean";
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return "integer";
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return "number";
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return "date-time";
        }

        if (type == typeof(byte[]))
        {
            return "bytes";
        }

        if (type == typeof(IntOrString))
        {
            return "int-or-string";
        }

        if (type == typeof(ResourceQuantity))
        {
            return "quantity";
        }

        if (type == typeof(object))
        {
            return "any";
        }

        var info = Options.GetTypeInfo(type);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Enumerable:
                return "[]" + Ref(info.ElementType!, models);
            case JsonTypeInfoKind.Dictionary:
                return "{}" + Ref(info.ElementType!, models);
            case JsonTypeInfoKind.Object:
                models.TryAdd(type.Name, type);
                return type.Name;
            default:
                return "any";
        }
    }
}
