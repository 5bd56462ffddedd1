using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Registry;

/// <summary>
/// Converts between the version a resource is served in and the version it is stored in, for resources that
/// share storage with another version (events.k8s.io/v1 Events are stored as core/v1 Events).
/// </summary>
public interface IStorageConverter
{
    JsonObject ToStorage(JsonObject served);

    JsonObject FromStorage(JsonObject stored);
}
