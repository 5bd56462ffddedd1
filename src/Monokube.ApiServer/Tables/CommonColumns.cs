using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Tables;

/// <summary>Columns many resources share, worded as kube-apiserver's printers word them.</summary>
public static class CommonColumns
{
    public const string NameDescription = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
    public const string AgeDescription = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    public static TableColumn Name { get; } = new("Name", "string", "name", NameDescription, 0, (o, _) => JsonValue.Create(new ObjectMeta(o).Name ?? ""));

    public static TableColumn Age { get; } = new("Age", "string", "", AgeDescription, 0, (o, now) => JsonValue.Create(AgeOf(new ObjectMeta(o).CreationTimestamp, now)));

    public static string AgeOf(string? timestamp, DateTimeOffset now) =>
        KubeTime.TryParse(timestamp, out var created) ? HumanDuration.Format(now - created) : "<unknown>";

    /// <summary>Comma-joined container names and images of a pod template (the wide columns of workloads).</summary>
    public static TableColumn Containers(string path) =>
        TableColumn.Text("Containers", o => string.Join(",", ContainerList(o, path).Select(c => c.GetString("name"))), 1, "Names of each container in the template.");

    public static TableColumn Images(string path) =>
        TableColumn.Text("Images", o => string.Join(",", ContainerList(o, path).Select(c => c.GetString("image"))), 1, "Images referenced by each container in the template.");

    public static TableColumn Selector(string path = "spec.selector") =>
        TableColumn.Text("Selector", o => SelectorText(o.Find(path) as JsonObject), 1, "Label selector for pods.");

    public static string SelectorText(JsonObject? selector)
    {
        if (selector is null)
        {
            return "<none>";
        }

        var parts = new List<string>();
        if (selector["matchLabels"] is JsonObject labels)
        {
            parts.AddRange(labels.Select(kv => $"{kv.Key}={kv.Value}"));
        }

        if (selector["matchExpressions"] is JsonArray expressions)
        {
            foreach (var e in expressions.OfType<JsonObject>())
            {
                var key = e.GetString("key");
                var values = (e["values"] as JsonArray)?.Select(v => v?.ToString()) ?? [];
                parts.Add(e.GetString("operator") switch
                {
                    "In" => $"{key} in ({string.Join(",", values)})",
                    "NotIn" => $"{key} notin ({string.Join(",", values)})",
                    "Exists" => key ?? "",
                    _ => "!" + key,
                });
            }
        }

        if (selector["matchLabels"] is null && selector["matchExpressions"] is null && selector.Count > 0)
        {
            // A plain map selector (Services, ReplicationControllers).
            parts.AddRange(selector.Select(kv => $"{kv.Key}={kv.Value}"));
        }

        return parts.Count == 0 ? "<none>" : string.Join(",", parts);
    }

    public static long Int(JsonObject o, string path) => o.Find(path) is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    private static IEnumerable<JsonObject> ContainerList(JsonObject o, string path) =>
        (o.Find(path) as JsonArray)?.OfType<JsonObject>() ?? [];
}
