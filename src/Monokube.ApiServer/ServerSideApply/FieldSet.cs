using System.Text.Json.Nodes;

namespace Monokube.ApiServer.ServerSideApply;

/// <summary>
/// A set of field paths in the FieldsV1 trie form of managedFields: "f:name" for a field, "k:{...}" for a list
/// element by its keys, "v:..." for a set element, and "." for the node itself. A child with no children of its own
/// is a leaf: that whole field is in the set.
/// </summary>
public sealed class FieldSet
{
    private readonly SortedDictionary<string, FieldSet> _children = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, FieldSet> Children => _children;

    public bool IsEmpty => _children.Count == 0;

    public FieldSet Child(string key)
    {
        if (!_children.TryGetValue(key, out var child))
        {
            child = new FieldSet();
            _children[key] = child;
        }

        return child;
    }

    public void Remove(string key) => _children.Remove(key);

    /// <summary>Every leaf path; a path ending in "." names a list element itself.</summary>
    public IEnumerable<IReadOnlyList<string>> Leaves()
    {
        foreach (var (key, child) in _children)
        {
            if (child.IsEmpty)
            {
                yield return [key];
                continue;
            }

            foreach (var leaf in child.Leaves())
            {
                yield return [key, .. leaf];
            }
        }
    }

    public bool ContainsLeaf(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var key in path)
        {
            if (!node._children.TryGetValue(key, out var next))
            {
                return false;
            }

            node = next;
        }

        return node.IsEmpty;
    }

    public void AddLeaf(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var key in path)
        {
            node = node.Child(key);
        }
    }

    /// <summary>Removes a leaf path and prunes parents left empty (they would otherwise read as leaves).</summary>
    public void RemoveLeaf(IReadOnlyList<string> path)
    {
        RemoveLeaf(path, 0);
    }

    private bool RemoveLeaf(IReadOnlyList<string> path, int index)
    {
        if (index == path.Count)
        {
            return _children.Count == 0;
        }

        if (!_children.TryGetValue(path[index], out var child))
        {
            return false;
        }

        if (index == path.Count - 1 && child.IsEmpty)
        {
            _children.Remove(path[index]);
            return _children.Count == 0;
        }

        if (child.RemoveLeaf(path, index + 1) && child.IsEmpty)
        {
            _children.Remove(path[index]);
            return _children.Count == 0;
        }

        return false;
    }

    public JsonObject ToJson()
    {
        var obj = new JsonObject();
        foreach (var (key, child) in _children)
        {
            obj[key] = child.ToJson();
        }

        return obj;
    }

    public static FieldSet FromJson(JsonObject? json)
    {
        var set = new FieldSet();
        if (json is null)
        {
            return set;
        }

        foreach (var (key, value) in json)
        {
            var child = FromJson(value as JsonObject);
            set._children[key] = child;
        }

        return set;
    }

    /// <summary>Renders a path as kube-apiserver does in conflict messages: .spec.containers[name="a"].image.</summary>
    public static string Render(IReadOnlyList<string> path)
    {
        var text = new System.Text.StringBuilder();
        foreach (var key in path)
        {
            if (key.StartsWith("f:", StringComparison.Ordinal))
            {
                text.Append('.').Append(key[2..]);
            }
            else if (key.StartsWith("k:", StringComparison.Ordinal))
            {
                var keys = JsonNode.Parse(key[2..]) as JsonObject;
                text.Append('[').Append(string.Join(",", keys?.Select(kv => $"{kv.Key}={kv.Value?.ToJsonString()}") ?? [])).Append(']');
            }
            else if (key.StartsWith("v:", StringComparison.Ordinal))
            {
                text.Append("[=").Append(key[2..]).Append(']');
            }
        }

        return text.ToString();
    }
}
