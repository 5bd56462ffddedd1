using System.Text.Json.Nodes;

namespace Monokube.Controllers.Informers;

public enum InformerEventType
{
    Added,
    Updated,
    Deleted,
}

/// <summary>A change the informer saw: the object now (or as it was last seen, when deleted) and before.</summary>
public sealed record InformerEvent(InformerEventType Type, string Key, JsonObject Object, JsonObject? Old);
