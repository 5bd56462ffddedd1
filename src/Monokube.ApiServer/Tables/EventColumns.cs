using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Tables;

/// <summary>`kubectl get events`: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (and the wide columns).</summary>
public static class EventColumns
{
    public static IReadOnlyList<TableColumn> All { get; } =
    [
        new("Last Seen", "string", "", "Time when last this event was observed.", 0, (o, now) => JsonValue.Create(Since(LastSeen(o), now))),
        TableColumn.Text("Type", o => o.GetString("type"), 0, "Type of this event (Normal, Warning), new types could be added in the future."),
        TableColumn.Text("Reason", o => o.GetString("reason"), 0, "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
        TableColumn.Text("Object", o => $"{o.GetString("involvedObject.kind")?.ToLowerInvariant()}/{o.GetString("involvedObject.name")}", 0, "Object this event is about."),
        TableColumn.Text("Subobject", o => o.GetString("involvedObject.fieldPath"), 1, "Subobject of the object this event is about."),
        TableColumn.Text("Source", Source, 1, "The component reporting this event."),
        TableColumn.Text("Message", o => o.GetString("message")?.Trim(), 0, "A human-readable description of the status of this operation."),
        new("First Seen", "string", "", "The time at which the event was first recorded.", 1, (o, now) => JsonValue.Create(Since(o.GetString("firstTimestamp") ?? o.GetString("eventTime"), now))),
        TableColumn.Number("Count", o => Math.Max(1, CommonColumns.Int(o, "count")), 1, "The number of times this event has occurred."),
        new("Name", "string", "name", CommonColumns.NameDescription, 1, (o, _) => JsonValue.Create(new ObjectMeta(o).Name ?? "")),
    ];

    private static string? LastSeen(JsonObject o) =>
        o.GetString("series.lastObservedTime") ?? o.GetString("lastTimestamp") ?? o.GetString("eventTime") ?? o.GetString("firstTimestamp") ?? new ObjectMeta(o).CreationTimestamp;

    private static string Since(string? timestamp, DateTimeOffset now) =>
        KubeTime.TryParse(timestamp, out var when) ? HumanDuration.Format(now - when) : "<unknown>";

    private static string Source(JsonObject o)
    {
        var component = o.GetString("source.component") ?? o.GetString("reportingComponent") ?? "";
        var host = o.GetString("source.host");
        return host is { Length: > 0 } ? $"{component}, {host}" : component;
    }
}
