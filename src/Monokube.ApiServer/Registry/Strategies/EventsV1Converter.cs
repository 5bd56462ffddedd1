using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>events.k8s.io/v1 Event ⇄ core/v1 Event, field for field as kube-apiserver converts them.</summary>
public sealed class EventsV1Converter : IStorageConverter
{
    // (events.k8s.io/v1 name, core/v1 name); metadata, type, reason, action, eventTime, series, related and
    // reportingInstance have the same name in both.
    private static readonly (string Served, string Stored)[] Renamed =
    [
        ("regarding", "involvedObject"),
        ("note", "message"),
        ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];

    public JsonObject ToStorage(JsonObject served) => Rename(served, "v1", fromServed: true);

    public JsonObject FromStorage(JsonObject stored) => Rename(stored, "events.k8s.io/v1", fromServed: false);

    private static JsonObject Rename(JsonObject source, string apiVersion, bool fromServed)
    {
        var result = new JsonObject();
        foreach (var (name, value) in source)
        {
            var mapped = name;
            foreach (var (served, stored) in Renamed)
            {
                if (fromServed && name == served)
                {
                    mapped = stored;
                }
                else if (!fromServed && name == stored)
                {
                    mapped = served;
                }
            }

            result[mapped] = value?.DeepClone();
        }

        result["apiVersion"] = apiVersion;
        result["kind"] = "Event";
        return result;
    }
}
