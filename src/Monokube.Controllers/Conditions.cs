using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers;

/// <summary>The status.conditions of any object (pods, nodes, namespaces, CSRs, CRDs).</summary>
public static class Conditions
{
    /// <summary>The condition of the given type, or null (also for a null object).</summary>
    public static JsonObject? Find(JsonObject? obj, string type) =>
        (obj?.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == type);
}
