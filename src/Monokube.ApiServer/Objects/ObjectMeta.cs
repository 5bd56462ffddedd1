using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Objects;

/// <summary>Reads and writes metadata fields of an object held as JSON.</summary>
public readonly struct ObjectMeta(JsonObject obj)
{
    public JsonObject Object { get; } = obj;

    public JsonObject Metadata => Object.GetOrAddObject("metadata");

    public string? Name
    {
        get => Get("name");
        set => Set("name", value);
    }

    public string? GenerateName => Get("generateName");

    public string? Namespace
    {
        get => Get("namespace");
        set => Set("namespace", value);
    }

    public string? Uid
    {
        get => Get("uid");
        set => Set("uid", value);
    }

    public string? ResourceVersion
    {
        get => Get("resourceVersion");
        set => Set("resourceVersion", value);
    }

    public string? CreationTimestamp => Get("creationTimestamp");

    public string? DeletionTimestamp => Get("deletionTimestamp");

    public long Generation => Metadata.GetLong("generation") ?? 0;

    public JsonObject? Labels => Metadata["labels"] as JsonObject;

    public JsonObject? Annotations => Metadata["annotations"] as JsonObject;

    public JsonArray? Finalizers => Metadata["finalizers"] as JsonArray;

    public IReadOnlyList<string> FinalizerNames =>
        Finalizers?.Select(f => f?.GetValueKind() == System.Text.Json.JsonValueKind.String ? f.GetValue<string>() : "").Where(f => f.Length > 0).ToList() ?? [];

    public string? Get(string field) => Object["metadata"] is JsonObject m ? m.GetString(field) : null;

    public void Set(string field, string? value)
    {
        if (value is null)
        {
            (Object["metadata"] as JsonObject)?.Remove(field);
            return;
        }

        Metadata[field] = value;
    }

    public void SetGeneration(long generation) => Metadata["generation"] = generation;
}
