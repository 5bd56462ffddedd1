using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// The names the CRDs of one group hold, as kube's naming controller keeps them: a CRD's plural, singular and short
/// names (one space) and its kind and list kind (another) are its own once accepted, and a CRD that asks for a name
/// another CRD of the group holds gets NamesAccepted False with PluralConflict, SingularConflict,
/// ShortNamesConflict, KindConflict or ListKindConflict and "\"x\" is already in use".
/// </summary>
public sealed class CrdNameClaims
{
    private readonly Dictionary<(string Group, string Name), string> _resources = [];
    private readonly Dictionary<(string Group, string Name), string> _kinds = [];

    /// <summary>The first conflict of a CRD's requested names with names other CRDs hold, or null.</summary>
    public (string Reason, string Message)? Conflict(string crdName, JsonObject crd)
    {
        var group = crd.GetString("spec.group") ?? "";
        var (plural, singular, shortNames, kind, listKind) = Requested(crd);
        foreach (var (name, reason) in new[] { (plural, "PluralConflict"), (singular, "SingularConflict") }.Concat(shortNames.Select(s => (s, "ShortNamesConflict"))))
        {
            if (_resources.TryGetValue((group, name), out var owner) && owner != crdName)
            {
                return (reason, $"\"{name}\" is already in use");
            }
        }

        foreach (var (name, reason) in new[] { (kind, "KindConflict"), (listKind, "ListKindConflict") })
        {
            if (_kinds.TryGetValue((group, name), out var owner) && owner != crdName)
            {
                return (reason, $"\"{name}\" is already in use");
            }
        }

        return null;
    }

    /// <summary>Records the names a CRD holds: its accepted names, or those it asks for once they are accepted.</summary>
    public void Claim(string crdName, JsonObject crd, JsonObject? names = null)
    {
        var group = crd.GetString("spec.group") ?? "";
        var (plural, singular, shortNames, kind, listKind) = Requested(names is null ? crd : new JsonObject { ["spec"] = new JsonObject { ["names"] = names.DeepClone() } });
        foreach (var name in new[] { plural, singular }.Concat(shortNames).Where(n => n.Length > 0))
        {
            _resources.TryAdd((group, name), crdName);
        }

        foreach (var name in new[] { kind, listKind }.Where(n => n.Length > 0))
        {
            _kinds.TryAdd((group, name), crdName);
        }
    }

    private static (string Plural, string Singular, List<string> ShortNames, string Kind, string ListKind) Requested(JsonObject crd)
    {
        var kind = crd.GetString("spec.names.kind") ?? "";
        return (
            crd.GetString("spec.names.plural") ?? "",
            crd.GetString("spec.names.singular") ?? kind.ToLowerInvariant(),
            [.. (crd.Find("spec.names.shortNames") as JsonArray ?? []).Select(n => n?.ToString()).OfType<string>()],
            kind,
            crd.GetString("spec.names.listKind") ?? (kind.Length > 0 ? kind + "List" : ""));
    }
}
