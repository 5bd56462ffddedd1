using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tables;

/// <summary>
/// One column of a resource's Table: its definition as kubectl reads it (type, format, priority 0 = shown, 1 = -o wide)
/// and how to compute the cell of one object at a given time.
/// </summary>
public sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority, Func<JsonObject, DateTimeOffset, JsonNode?> Cell)
{
    public static TableColumn Text(string name, Func<JsonObject, string?> cell, int priority = 0, string description = "") =>
        new(name, "string", "", description, priority, (o, _) => JsonValue.Create(cell(o) ?? ""));

    public static TableColumn Number(string name, Func<JsonObject, long> cell, int priority = 0, string description = "") =>
        new(name, "integer", "", description, priority, (o, _) => JsonValue.Create(cell(o)));
}
