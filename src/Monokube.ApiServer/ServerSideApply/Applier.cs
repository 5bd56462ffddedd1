using System.Text.Json.Nodes;
using Monokube.ApiServer.Patching;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.ServerSideApply;

/// <summary>
/// Server-side apply: merges a manager's applied configuration into the live object, refusing to change fields
/// other managers own (unless forced, which takes them over), removing fields the manager applied before and no
/// longer applies (unless someone else still owns them), and recording the manager's Apply ownership.
/// </summary>
public static class Applier
{
    public sealed record Result(JsonObject? Object, IReadOnlyList<ApplyConflict> Conflicts);

    public static Result Apply(JsonObject live, JsonObject applied, string manager, bool force, string? subresource, string apiVersion, DateTimeOffset now, SchemaNode? schema)
    {
        var status = subresource == "status";
        var entries = ManagedFields.Read(live);
        var appliedSet = FieldPaths.Of(applied, schema, status, strict: true);
        var leaves = appliedSet.Leaves().ToList();

        var conflicts = new List<ApplyConflict>();
        // A list element's own path ("." under "k:{...}") names only its identity: its keys match by construction.
        foreach (var leaf in leaves.Where(l => l.Count == 0 || l[^1] != "."))
        {
            var wanted = FieldPaths.Resolve(applied, leaf, out _);
            var current = FieldPaths.Resolve(live, leaf, out var exists);
            if (!exists || !ManagedFields.Differs(wanted, current))
            {
                continue;
            }

            foreach (var entry in entries.Where(e => !e.SameOwner(manager, "Apply", subresource) && (e.Subresource ?? "") == (subresource ?? "")))
            {
                if (entry.Fields.ContainsLeaf(leaf))
                {
                    conflicts.Add(new ApplyConflict(entry.Manager, entry.ApiVersion, FieldSet.Render(leaf)));
                }
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            return new Result(null, conflicts);
        }

        var applyBody = (JsonObject)applied.DeepClone();
        applyBody.Remove("status");
        if (status)
        {
            applyBody = new JsonObject { ["status"] = applied["status"]?.DeepClone() };
        }

        var merged = StrategicMergePatch.Apply(live, applyBody, schema);

        // Fields this manager applied before and leaves out now go, unless another manager still owns them.
        var previous = entries.FirstOrDefault(e => e.SameOwner(manager, "Apply", subresource));
        if (previous is not null)
        {
            foreach (var leaf in previous.Fields.Leaves())
            {
                if (!appliedSet.ContainsLeaf(leaf) && !entries.Any(e => e != previous && e.Fields.ContainsLeaf(leaf)))
                {
                    FieldPaths.RemovePath(merged, leaf);
                }
            }
        }

        if (force)
        {
            foreach (var entry in entries.Where(e => !e.SameOwner(manager, "Apply", subresource)))
            {
                foreach (var leaf in leaves)
                {
                    if (conflicts.Any(c => c.Manager == entry.Manager && c.Field == FieldSet.Render(leaf)))
                    {
                        entry.Fields.RemoveLeaf(leaf);
                    }
                }
            }
        }

        entries.RemoveAll(e => e.SameOwner(manager, "Apply", subresource));
        entries.Add(new ManagedFieldsEntry(manager, "Apply", apiVersion, Objects.KubeTime.Format(now), subresource, appliedSet));
        ManagedFields.Write(merged, entries);
        return new Result(merged, []);
    }
}
