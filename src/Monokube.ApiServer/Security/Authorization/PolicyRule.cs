using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>An RBAC PolicyRule and the matching kube's RBAC authorizer does.</summary>
public sealed record PolicyRule(
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> NonResourceUrls)
{
    public static PolicyRule FromJson(JsonObject rule) => new(
        Strings(rule["verbs"]), Strings(rule["apiGroups"]), Strings(rule["resources"]), Strings(rule["resourceNames"]), Strings(rule["nonResourceURLs"]));

    public static PolicyRule For(string[] apiGroups, string[] resources, params string[] verbs) => new(verbs, apiGroups, resources, [], []);

    public static PolicyRule NonResource(string[] urls, params string[] verbs) => new(verbs, [], [], [], urls);

    /// <summary>Writes the rule as an RBAC object holds it: the lists it has, verbs last.</summary>
    public void WriteTo(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (ApiGroups.Count > 0 || Resources.Count > 0)
        {
            WriteArray(w, "apiGroups", ApiGroups);
            WriteArray(w, "resources", Resources);
        }

        if (ResourceNames.Count > 0)
        {
            WriteArray(w, "resourceNames", ResourceNames);
        }

        if (NonResourceUrls.Count > 0)
        {
            WriteArray(w, "nonResourceURLs", NonResourceUrls);
        }

        WriteArray(w, "verbs", Verbs);
        w.WriteEndObject();
    }

    private static void WriteArray(System.Text.Json.Utf8JsonWriter w, string property, IReadOnlyList<string> values)
    {
        w.WriteStartArray(property);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    public bool Matches(AuthorizationAttributes a)
    {
        if (!Verbs.Contains("*") && !Verbs.Contains(a.Verb))
        {
            return false;
        }

        if (!a.IsResourceRequest)
        {
            return NonResourceUrls.Any(url => url == "*" || url == a.Path || (url.EndsWith('*') && a.Path.StartsWith(url[..^1], StringComparison.Ordinal)));
        }

        if (!ApiGroups.Contains("*") && !ApiGroups.Contains(a.ApiGroup))
        {
            return false;
        }

        var combined = a.Subresource.Length > 0 ? a.Resource + "/" + a.Subresource : a.Resource;
        var resourceMatch = Resources.Any(r => r == "*" || r == combined || (a.Subresource.Length > 0 && r == "*/" + a.Subresource));
        if (!resourceMatch)
        {
            return false;
        }

        return ResourceNames.Count == 0 || (a.Name.Length > 0 && ResourceNames.Contains(a.Name));
    }

    private static IReadOnlyList<string> Strings(JsonNode? node) => (node as JsonArray)?.Select(v => v?.ToString() ?? "").ToList() ?? [];
}
