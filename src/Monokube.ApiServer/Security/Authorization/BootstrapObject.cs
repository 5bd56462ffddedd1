using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Serialization;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// One object of the default RBAC policy (a role with its rules, or a binding), kept as the table's fields and
/// written straight to JSON: every start writes all of them, and trees of them cost a third of a start's
/// allocations and stayed in the heap for good.
/// </summary>
public sealed class BootstrapObject
{
    private const string Group = "rbac.authorization.k8s.io";

    private readonly List<(string Key, string Value)> _labels = [("kubernetes.io/bootstrapping", "rbac-defaults")];

    private BootstrapObject(string kind, string ns, string name)
    {
        Kind = kind;
        Namespace = ns;
        Name = name;
    }

    public string Kind { get; }

    /// <summary>The namespace, empty for cluster-scoped objects.</summary>
    public string Namespace { get; }

    public string Name { get; }

    /// <summary>The resource the object is stored under ("clusterroles", "rolebindings"...).</summary>
    public string Plural => Kind.ToLowerInvariant() + "s";

    /// <summary>A role's rules (empty for a binding).</summary>
    public List<PolicyRule> Rules { get; } = [];

    /// <summary>An aggregated ClusterRole's selectors, each a set of labels to match.</summary>
    public List<IReadOnlyList<(string Key, string Value)>> AggregationSelectors { get; } = [];

    public (string Kind, string Name)? RoleRef { get; private init; }

    /// <summary>A binding's subjects: kind, namespace (service accounts only) and name.</summary>
    public IReadOnlyList<(string Kind, string Namespace, string Name)> Subjects { get; private init; } = [];

    public static BootstrapObject Role(string kind, string ns, string name) => new(kind, ns, name);

    public static BootstrapObject Binding(string kind, string ns, string name, string roleKind, string roleName, IReadOnlyList<(string Kind, string Namespace, string Name)> subjects) =>
        new(kind, ns, name) { RoleRef = (roleKind, roleName), Subjects = subjects };

    /// <summary>Sets a label, replacing the value of one already there.</summary>
    public void SetLabel(string key, string value)
    {
        var at = _labels.FindIndex(l => l.Key == key);
        if (at >= 0)
        {
            _labels[at] = (key, value);
        }
        else
        {
            _labels.Add((key, value));
        }
    }

    /// <summary>The object as stored, with the uid and creation time it is created with (none given: without them).</summary>
    public byte[] ToBytes(string? uid = null, string? creationTimestamp = null) =>
        JsonOutput.ToBytes((this, uid, creationTimestamp), static (w, s) => s.Item1.Write(w, s.uid, s.creationTimestamp));

    public JsonObject ToJson() => JsonNode.Parse(ToBytes())!.AsObject();

    private void Write(Utf8JsonWriter w, string? uid, string? creationTimestamp)
    {
        w.WriteStartObject();
        w.WriteString("apiVersion", Group + "/v1");
        w.WriteString("kind", Kind);
        w.WriteStartObject("metadata");
        w.WriteString("name", Name);
        WriteLabels(w, "labels", _labels);
        w.WriteStartObject("annotations");
        w.WriteString("rbac.authorization.kubernetes.io/autoupdate", "true");
        w.WriteEndObject();
        if (Namespace.Length > 0)
        {
            w.WriteString("namespace", Namespace);
        }

        if (uid is not null)
        {
            w.WriteString("uid", uid);
        }

        if (creationTimestamp is not null)
        {
            w.WriteString("creationTimestamp", creationTimestamp);
        }

        w.WriteEndObject();
        if (RoleRef is { } roleRef)
        {
            w.WriteStartObject("roleRef");
            w.WriteString("apiGroup", Group);
            w.WriteString("kind", roleRef.Kind);
            w.WriteString("name", roleRef.Name);
            w.WriteEndObject();
            WriteSubjects(w);
        }
        else
        {
            w.WriteStartArray("rules");
            foreach (var rule in Rules)
            {
                rule.WriteTo(w);
            }

            w.WriteEndArray();
            if (AggregationSelectors.Count > 0)
            {
                w.WriteStartObject("aggregationRule");
                w.WriteStartArray("clusterRoleSelectors");
                foreach (var selector in AggregationSelectors)
                {
                    w.WriteStartObject();
                    WriteLabels(w, "matchLabels", selector);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }
        }

        w.WriteEndObject();
    }

    private void WriteSubjects(Utf8JsonWriter w)
    {
        if (Subjects.Count == 0)
        {
            return;
        }

        w.WriteStartArray("subjects");
        foreach (var (kind, ns, name) in Subjects)
        {
            w.WriteStartObject();
            w.WriteString("kind", kind);
            if (kind == "ServiceAccount")
            {
                w.WriteString("name", name);
                w.WriteString("namespace", ns);
            }
            else
            {
                w.WriteString("apiGroup", Group);
                w.WriteString("name", name);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteLabels(Utf8JsonWriter w, string property, IEnumerable<(string Key, string Value)> labels)
    {
        w.WriteStartObject(property);
        foreach (var (key, value) in labels)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
    }
}
