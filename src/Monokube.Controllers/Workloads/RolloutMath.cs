using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Controllers.Workloads;

/// <summary>The arithmetic of rolling updates, as kube's deployment utilities define it.</summary>
public static class RolloutMath
{
    /// <summary>An IntOrString (a count, or a percent of <paramref name="total"/>), rounded up or down.</summary>
    public static int Resolve(JsonNode? value, int total, bool roundUp, int fallback)
    {
        if (value is null)
        {
            return fallback;
        }

        if (value.GetValueKind() == JsonValueKind.Number)
        {
            return value.ToInt();
        }

        var text = value.ToString();
        if (text.EndsWith('%') && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
        {
            var exact = percent * total / 100.0;
            return roundUp ? (int)Math.Ceiling(exact) : (int)Math.Floor(exact);
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : fallback;
    }

    /// <summary>maxSurge (rounded up) and maxUnavailable (rounded down); both zero means one may be unavailable.</summary>
    public static (int Surge, int Unavailable) SurgeAndUnavailable(JsonObject deployment)
    {
        var replicas = Replicas(deployment);
        if (deployment.GetString("spec.strategy.type") == "Recreate" || replicas == 0)
        {
            return (0, 0);
        }

        var rolling = deployment.Find("spec.strategy.rollingUpdate") as JsonObject;
        var surge = Resolve(rolling?["maxSurge"], replicas, roundUp: true, Resolve(JsonValue.Create("25%"), replicas, true, 0));
        var unavailable = Resolve(rolling?["maxUnavailable"], replicas, roundUp: false, Resolve(JsonValue.Create("25%"), replicas, false, 0));
        if (surge == 0 && unavailable == 0)
        {
            unavailable = 1;
        }

        return (surge, Math.Min(unavailable, replicas));
    }

    public static int Replicas(JsonObject obj) => obj.Find("spec.replicas") is JsonValue v ? v.ToInt() : 1;

    public static int StatusCount(JsonObject obj, string field) => obj.Find("status." + field) is JsonValue v ? v.ToInt() : 0;

    public static long Revision(JsonObject rs) =>
        long.TryParse(rs.Find("metadata.annotations")?["deployment.kubernetes.io/revision"]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;

    /// <summary>Whether two pod templates are the same but for the pod-template-hash label (kube's EqualIgnoreHash).</summary>
    public static bool EqualIgnoringHash(JsonNode? a, JsonNode? b)
    {
        static JsonNode? Strip(JsonNode? template)
        {
            var copy = template?.DeepClone() as JsonObject;
            if (copy?.Find("metadata.labels") is JsonObject labels)
            {
                labels.Remove("pod-template-hash");
                if (labels.Count == 0)
                {
                    copy["metadata"]!.AsObject().Remove("labels");
                }
            }

            if (copy?["metadata"] is JsonObject meta && meta.Count == 0)
            {
                copy.Remove("metadata");
            }

            return copy;
        }

        return JsonNode.DeepEquals(Strip(a), Strip(b));
    }
}
