using System.Text.RegularExpressions;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.OpenApi;

/// <summary>
/// Names OpenAPI definitions as kube-apiserver does ("io.k8s.api.core.v1.PodSpec",
/// "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"): a model type takes the Go package of the first served
/// resource (in discovery order) that refers to it; the shared meta types keep apimachinery's package.
/// </summary>
public sealed partial class DefinitionNames
{
    public const string MetaPackage = "io.k8s.apimachinery.pkg.apis.meta.v1";
    public const string IntOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
    public const string Quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity";

    private static readonly HashSet<string> MetaTypes =
    [
        "V1ObjectMeta", "V1ListMeta", "V1OwnerReference", "V1ManagedFieldsEntry", "V1LabelSelector", "V1LabelSelectorRequirement",
        "V1Condition", "V1DeleteOptions", "V1Preconditions", "V1Status", "V1StatusDetails", "V1StatusCause", "V1WatchEvent",
    ];

    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public DefinitionNames(ResourceRegistry registry)
    {
        foreach (var resource in registry.Resources)
        {
            if (resource.Schema is not { } schema || schema.ModelName is null)
            {
                continue;
            }

            var package = Package(resource.Group, resource.Version);
            Assign(schema.ModelName, package + "." + resource.Kind);
            Visit(schema, package, []);
        }
    }

    /// <summary>The definition name of a model type; types not reached from a resource get the core package.</summary>
    public string For(string modelName) => _names.TryGetValue(modelName, out var name)
        ? name
        : Assign(modelName, (MetaTypes.Contains(modelName) ? MetaPackage : "io.k8s.api.core.v1") + "." + Strip(modelName));

    public static string Package(string group, string version) => group switch
    {
        "" => $"io.k8s.api.core.{version}",
        "apiextensions.k8s.io" => $"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{version}",
        _ => $"io.k8s.api.{group.Split('.')[0]}.{version}",
    };

    /// <summary>"V1PodSpec" → "PodSpec", "Corev1Event" → "Event", "V2HorizontalPodAutoscaler" → "HorizontalPodAutoscaler".</summary>
    public static string Strip(string modelName) => VersionPrefix().Replace(modelName, "");

    private void Visit(SchemaNode node, string package, HashSet<SchemaNode> seen)
    {
        if (!seen.Add(node))
        {
            return;
        }

        if (node.Type == SchemaType.Object && node.ModelName is { } model && !_names.ContainsKey(model))
        {
            Assign(model, (MetaTypes.Contains(model) ? MetaPackage : package) + "." + Strip(model));
        }

        if (node.Items is { } items)
        {
            Visit(items, package, seen);
        }

        if (node.Type == SchemaType.Object)
        {
            foreach (var child in node.Properties.Values)
            {
                Visit(child, package, seen);
            }
        }
    }

    private string Assign(string model, string name)
    {
        if (_names.TryGetValue(model, out var existing))
        {
            return existing;
        }

        var unique = name;
        for (var i = 2; !_used.Add(unique); i++)
        {
            unique = name + i;
        }

        _names[model] = unique;
        return unique;
    }

    [GeneratedRegex("^([A-Z][a-z]+)?v?V?[0-9]+((alpha|beta)[0-9]+)?(?=[A-Z])")]
    private static partial Regex VersionPrefix();
}
