using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.Storage.Tests;

/// <summary>Small ConfigMap-shaped JSON values for the store tests.</summary>
internal static class Objects
{
    public static byte[] ConfigMap(string name, string uid = "uid-1", string value = "v", int counter = 0)
    {
        var json = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default", ["uid"] = uid },
            ["data"] = new JsonObject { ["value"] = value, ["counter"] = counter.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    public static string Value(byte[] json) => JsonNode.Parse(json)!["data"]!["value"]!.GetValue<string>();

    public static int Counter(byte[] json) => int.Parse(JsonNode.Parse(json)!["data"]!["counter"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

    public static string Text(byte[] json) => Encoding.UTF8.GetString(json);
}
