using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>ConfigMaps: valid keys, no key in both data and binaryData, and nothing changes once immutable.</summary>
public sealed class ConfigMapStrategy : ResourceStrategy
{
    public override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        DataKeys.Validate(obj.GetObject("data"), "data", causes);
        DataKeys.Validate(obj.GetObject("binaryData"), "binaryData", causes);
        if (obj.GetObject("data") is { } data && obj.GetObject("binaryData") is { } binary)
        {
            foreach (var (key, _) in binary)
            {
                if (data.ContainsKey(key))
                {
                    causes.Add(FieldErrors.Invalid("data", key, "duplicate of key present in binaryData"));
                }
            }
        }
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<StatusCause> causes) =>
        DataKeys.ValidateImmutable(obj, old, ["data", "binaryData"], causes);
}
