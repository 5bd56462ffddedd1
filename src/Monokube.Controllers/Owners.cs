using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers;

/// <summary>Owner references as the controllers use them: the controller reference, and making one.</summary>
public static class Owners
{
    /// <summary>The owner reference with controller: true, if any.</summary>
    public static JsonObject? ControllerOf(JsonObject obj) =>
        (obj.Find("metadata.ownerReferences") as JsonArray)?.OfType<JsonObject>().FirstOrDefault(r => r.GetBool("controller"));

    /// <summary>A controller reference to <paramref name="owner"/>, blocking its deletion in foreground until the dependent is gone.</summary>
    public static JsonObject ControllerRef(JsonObject owner, string apiVersion, string kind) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = owner.GetString("metadata.name"),
        ["uid"] = owner.GetString("metadata.uid"),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    public static bool IsControlledBy(JsonObject obj, JsonObject owner) =>
        ControllerOf(obj)?.GetString("uid") is { } uid && uid == owner.GetString("metadata.uid");

    public static string? Uid(JsonObject obj) => obj.GetString("metadata.uid");

    public static bool IsBeingDeleted(JsonObject obj) => obj.GetString("metadata.deletionTimestamp") is not null;
}
