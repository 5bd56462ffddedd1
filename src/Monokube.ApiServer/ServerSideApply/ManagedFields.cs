using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.ServerSideApply;

/// <summary>
/// metadata.managedFields as kube-apiserver keeps it: every write records which fields its manager set. An update
/// takes ownership of the fields it changed; fields it removed are owned by nobody any more.
/// </summary>
public static class ManagedFields
{
    public const int MaxManagerLength = 128;

    public static List<ManagedFieldsEntry> Read(JsonObject obj)
    {
        var entries = new List<ManagedFieldsEntry>();
        if (obj["metadata"]?["managedFields"] is not JsonArray list)
        {
            return entries;
        }

        foreach (var item in list.OfType<JsonObject>())
        {
            entries.Add(new ManagedFieldsEntry(
                item.GetString("manager") ?? "",
                item.GetString("operation") ?? "Update",
                item.GetString("apiVersion") ?? "",
                item.GetString("time"),
                item.GetString("subresource"),
                FieldSet.FromJson(item["fieldsV1"] as JsonObject)));
        }

        return entries;
    }

    public static void Write(JsonObject obj, IReadOnlyList<ManagedFieldsEntry> entries)
    {
        var meta = new ObjectMeta(obj).Metadata;
        var kept = entries.Where(e => !e.Fields.IsEmpty).ToList();
        if (kept.Count == 0)
        {
            meta.Remove("managedFields");
            return;
        }

        var list = new JsonArray();
        foreach (var e in kept)
        {
            var item = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
            };
            if (e.Time is not null)
            {
                item["time"] = e.Time;
            }

            item["fieldsType"] = "FieldsV1";
            item["fieldsV1"] = e.Fields.ToJson();
            if (!string.IsNullOrEmpty(e.Subresource))
            {
                item["subresource"] = e.Subresource;
            }

            list.Add((JsonNode)item);
        }

        meta["managedFields"] = list;
    }

    /// <summary>Records an update (or a create, when <paramref name="old"/> is null) by <paramref name="manager"/>.</summary>
    public static void TrackUpdate(JsonObject? old, JsonObject obj, string manager, string? subresource, string apiVersion, DateTimeOffset now, SchemaNode? schema)
    {
        var status = subresource is "status" or "approval";
        if (old is null)
        {
            // A create: every field set is the creator's.
            Write(obj, [new ManagedFieldsEntry(manager, "Update", apiVersion, KubeTime.Format(now), subresource, FieldPaths.Of(obj, schema, status))]);
            return;
        }

        var entries = Read(old);
        var newSet = FieldPaths.Of(obj, schema, status);
        var oldSet = FieldPaths.Of(old, schema, status);

        var changed = newSet.Leaves().Where(leaf =>
        {
            var now = FieldPaths.Resolve(obj, leaf, out _);
            var before = FieldPaths.Resolve(old, leaf, out var found) is var v && found ? v : null;
            return before is null || !JsonNode.DeepEquals(now, before);
        }).ToList();
        var removed = oldSet.Leaves().Where(leaf => !newSet.ContainsLeaf(leaf)).ToList();

        foreach (var entry in entries)
        {
            foreach (var leaf in changed.Concat(removed))
            {
                entry.Fields.RemoveLeaf(leaf);
            }
        }

        if (changed.Count > 0)
        {
            var mine = entries.FirstOrDefault(e => e.SameOwner(manager, "Update", subresource));
            var time = KubeTime.Format(now);
            if (mine is null)
            {
                mine = new ManagedFieldsEntry(manager, "Update", apiVersion, time, subresource, new FieldSet());
                entries.Add(mine);
            }
            else
            {
                entries[entries.IndexOf(mine)] = mine with { Time = time, ApiVersion = apiVersion };
                mine = entries.First(e => e.SameOwner(manager, "Update", subresource));
            }

            foreach (var leaf in changed)
            {
                mine.Fields.AddLeaf(leaf);
            }
        }

        Write(obj, entries);
    }

    /// <summary>The field manager of a request: ?fieldManager, or the user agent's product name, as kube derives it.</summary>
    public static string ManagerOf(string? fieldManager, string? userAgent)
    {
        if (!string.IsNullOrEmpty(fieldManager))
        {
            return fieldManager;
        }

        var agent = userAgent?.Split('/')[0].Trim();
        return string.IsNullOrEmpty(agent) ? "unknown" : agent.Length > MaxManagerLength ? agent[..MaxManagerLength] : agent;
    }

    internal static bool Differs(JsonNode? a, JsonNode? b) => !JsonNode.DeepEquals(a, b) && !(a?.GetValueKind() == JsonValueKind.Null && b is null);
}
