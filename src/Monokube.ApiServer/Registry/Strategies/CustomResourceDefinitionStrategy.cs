using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// CustomResourceDefinitions: the name is &lt;plural&gt;.&lt;group&gt;, names and scope are required, exactly one
/// version is the storage version, and the group may not be one of Kubernetes' own. A new CRD gets the
/// customresourcecleanup finalizer, so deleting it first deletes its custom resources. Conversion webhooks are not
/// supported yet and are refused with a clear cause.
/// </summary>
public sealed partial class CustomResourceDefinitionStrategy : ResourceStrategy
{
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    private static readonly HashSet<string> BuiltinGroups = [.. BuiltinResources.All.Select(r => r.Group)];

    public CustomResourceDefinitionStrategy()
    {
        TracksGeneration = true;
    }

    public override void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        base.PrepareForCreate(context, resource, obj);
        var metadata = obj.GetOrAddObject("metadata");
        var finalizers = metadata["finalizers"] as JsonArray ?? [];
        if (!finalizers.Any(f => f?.ToString() == CleanupFinalizer))
        {
            finalizers.Add((JsonNode)CleanupFinalizer);
        }

        metadata["finalizers"] = finalizers;
    }

    public override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var group = obj.GetString("spec.group") ?? "";
        var plural = obj.GetString("spec.names.plural") ?? "";
        if (group.Length == 0)
        {
            causes.Add(FieldErrors.Required("spec.group"));
        }
        else if (!group.Contains('.', StringComparison.Ordinal) || !DnsSubdomain().IsMatch(group))
        {
            causes.Add(FieldErrors.Invalid("spec.group", group, "should be a domain with at least one dot"));
        }
        else if (BuiltinGroups.Contains(group))
        {
            causes.Add(FieldErrors.Invalid("spec.group", group, "is a group Kubernetes itself serves"));
        }

        if (plural.Length == 0 || !DnsLabel().IsMatch(plural))
        {
            causes.Add(plural.Length == 0 ? FieldErrors.Required("spec.names.plural") : FieldErrors.Invalid("spec.names.plural", plural, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"));
        }

        if (obj.GetString("spec.names.kind") is not { Length: > 0 })
        {
            causes.Add(FieldErrors.Required("spec.names.kind"));
        }

        var name = obj.GetString("metadata.name");
        if (plural.Length > 0 && group.Length > 0 && name != plural + "." + group)
        {
            causes.Add(FieldErrors.Invalid("metadata.name", name ?? "", $"must be spec.names.plural+\".\"+spec.group"));
        }

        if (obj.GetString("spec.scope") is not ("Namespaced" or "Cluster"))
        {
            causes.Add(FieldErrors.NotSupported("spec.scope", obj.GetString("spec.scope") ?? "", ["Cluster", "Namespaced"]));
        }

        var versions = (obj.Find("spec.versions") as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (versions.Count == 0)
        {
            causes.Add(FieldErrors.Required("spec.versions"));
        }
        else if (versions.Count(v => v.GetBool("storage")) != 1)
        {
            causes.Add(FieldErrors.Invalid("spec.versions", "", "must have exactly one version marked as storage version"));
        }

        for (var i = 0; i < versions.Count; i++)
        {
            var path = $"spec.versions[{i}].schema.openAPIV3Schema";
            if (versions[i].Find("schema.openAPIV3Schema") is not JsonObject schema)
            {
                causes.Add(FieldErrors.Required(path, "schemas are required"));
                continue;
            }

            CustomResources.CrdStructuralSchema.Check(schema, path, causes);
            CustomResources.CrdSchemaRules.Check(schema, path, causes);
            if (versions[i].Find("subresources.scale") is JsonObject scale)
            {
                CheckScalePaths(scale, $"spec.versions[{i}].subresources.scale", causes);
            }
        }

        if (obj.GetString("spec.conversion.strategy") is "Webhook")
        {
            causes.Add(FieldErrors.Invalid("spec.conversion.strategy", "Webhook", "conversion webhooks are not supported by monokube yet; use the None strategy"));
        }
    }

    // The scale subresource's paths: simple JSON paths, replicas under .spec and .status, the selector under either.
    private static void CheckScalePaths(JsonObject scale, string path, List<StatusCause> causes)
    {
        CheckScalePath(scale.GetString("specReplicasPath"), path + ".specReplicasPath", [".spec."], "should be a json path under .spec", required: true, causes);
        CheckScalePath(scale.GetString("statusReplicasPath"), path + ".statusReplicasPath", [".status."], "should be a json path under .status", required: true, causes);
        CheckScalePath(scale.GetString("labelSelectorPath"), path + ".labelSelectorPath", [".spec.", ".status."], "should be a json path under either .spec or .status", required: false, causes);
    }

    private static void CheckScalePath(string? value, string path, string[] prefixes, string under, bool required, List<StatusCause> causes)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                causes.Add(FieldErrors.Required(path));
            }
        }
        else if (!SimpleJsonPath().IsMatch(value))
        {
            causes.Add(FieldErrors.Invalid(path, value, "must be a simple json path starting with ."));
        }
        else if (!prefixes.Any(p => value.StartsWith(p, StringComparison.Ordinal)))
        {
            causes.Add(FieldErrors.Invalid(path, value, under));
        }
    }

    [GeneratedRegex(@"^(\.[A-Za-z0-9_-]+)+$")]
    private static partial Regex SimpleJsonPath();

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<StatusCause> causes)
    {
        if (obj.GetString("spec.group") != old.GetString("spec.group"))
        {
            causes.Add(FieldErrors.Immutable("spec.group", obj["spec"]?["group"]));
        }

        if (obj.GetString("spec.scope") != old.GetString("spec.scope"))
        {
            causes.Add(FieldErrors.Immutable("spec.scope", obj["spec"]?["scope"]));
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
