using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// Reads objects that kube-apiserver stored in an older version than monokube serves (kube-apiserver 1.26 stores
/// HorizontalPodAutoscalers as autoscaling/v1, EndpointSlices as discovery.k8s.io/v1beta1, PodDisruptionBudgets as
/// policy/v1beta1 and CustomResourceDefinitions as apiextensions.k8s.io/v1beta1), converted as kube converts them;
/// writes the served version, which kube-apiserver reads too.
/// </summary>
public sealed class OlderStorageVersions(string servedApiVersion) : IStorageConverter
{
    private const string MetricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics";
    private const string CurrentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics";
    private const string ConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions";
    private const string BehaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior";

    public JsonObject ToStorage(JsonObject served) => served;

    public JsonObject FromStorage(JsonObject stored)
    {
        switch (stored.GetString("apiVersion"))
        {
            case "autoscaling/v1" when servedApiVersion == "autoscaling/v2":
                HorizontalPodAutoscalerFromV1(stored);
                break;
            case "discovery.k8s.io/v1beta1" when servedApiVersion == "discovery.k8s.io/v1":
                EndpointSliceFromV1beta1(stored);
                break;
            case "policy/v1beta1" when servedApiVersion == "policy/v1":
                break;
            case "apiextensions.k8s.io/v1beta1" when servedApiVersion == "apiextensions.k8s.io/v1":
                CustomResourceDefinitionFromV1beta1(stored);
                break;
            default:
                return stored;
        }

        stored["apiVersion"] = servedApiVersion;
        return stored;
    }

    // v1beta1 CRDs may hold one schema, subresources and printer columns for every version at spec level (kube writes
    // them so when all versions agree) and the webhook conversion's settings flat; v1 has them per version.
    private static void CustomResourceDefinitionFromV1beta1(JsonObject crd)
    {
        var spec = crd.GetOrAddObject("spec");
        var versions = spec["versions"] as JsonArray ?? [];
        if (versions.Count == 0 && spec.GetString("version") is { } only)
        {
            versions.Add((JsonNode)new JsonObject { ["name"] = only, ["served"] = true, ["storage"] = true });
        }

        var validation = spec["validation"] as JsonObject;
        var subresources = spec["subresources"] as JsonObject;
        var columns = spec["additionalPrinterColumns"] as JsonArray;
        foreach (var version in versions.OfType<JsonObject>())
        {
            if (validation is not null && version["schema"] is null)
            {
                version["schema"] = validation.DeepClone();
            }

            if (subresources is not null && version["subresources"] is null)
            {
                version["subresources"] = subresources.DeepClone();
            }

            var versionColumns = version["additionalPrinterColumns"] as JsonArray ?? (columns?.DeepClone() as JsonArray);
            if (versionColumns is not null)
            {
                foreach (var column in versionColumns.OfType<JsonObject>())
                {
                    if (column["JSONPath"] is { } path)
                    {
                        column.Remove("JSONPath");
                        column["jsonPath"] = path;
                    }
                }

                version["additionalPrinterColumns"] = versionColumns;
            }
        }

        spec["versions"] = versions;
        foreach (var hoisted in (ReadOnlySpan<string>)["version", "validation", "subresources", "additionalPrinterColumns"])
        {
            spec.Remove(hoisted);
        }

        if (spec["conversion"] is JsonObject conversion && conversion.GetString("strategy") == "Webhook" && conversion["webhook"] is null)
        {
            conversion["webhook"] = new JsonObject
            {
                ["clientConfig"] = conversion["webhookClientConfig"]?.DeepClone(),
                ["conversionReviewVersions"] = conversion["conversionReviewVersions"]?.DeepClone() ?? new JsonArray("v1beta1"),
            };
            conversion.Remove("webhookClientConfig");
            conversion.Remove("conversionReviewVersions");
        }
    }

    // v1beta1 endpoints carry their node and zone in topology; v1 has fields for them and keeps the rest aside.
    private static void EndpointSliceFromV1beta1(JsonObject slice)
    {
        foreach (var endpoint in (slice["endpoints"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (endpoint["topology"] is not JsonObject topology)
            {
                continue;
            }

            endpoint.Remove("topology");
            if (topology["kubernetes.io/hostname"]?.ToString() is { } host)
            {
                endpoint["nodeName"] ??= host;
                topology.Remove("kubernetes.io/hostname");
            }

            if (topology["topology.kubernetes.io/zone"]?.ToString() is { } zone)
            {
                endpoint["zone"] = zone;
                topology.Remove("topology.kubernetes.io/zone");
            }

            if (topology.Count > 0)
            {
                endpoint["deprecatedTopology"] = topology;
            }
        }
    }

    // autoscaling/v1 keeps the CPU target in spec and everything v2 has beyond it in annotations.
    private static void HorizontalPodAutoscalerFromV1(JsonObject hpa)
    {
        var annotations = hpa.Find("metadata.annotations") as JsonObject;
        JsonArray? FromAnnotation(string key)
        {
            if (annotations?[key]?.ToString() is not { } text)
            {
                return null;
            }

            annotations.Remove(key);
            try
            {
                return JsonNode.Parse(text) as JsonArray;
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }

        var spec = hpa.GetOrAddObject("spec");
        var metrics = new JsonArray();
        if (spec["targetCPUUtilizationPercentage"] is { } cpu)
        {
            metrics.Add((JsonNode)new JsonObject { ["type"] = "Resource", ["resource"] = new JsonObject { ["name"] = "cpu", ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = cpu.DeepClone() } } });
            spec.Remove("targetCPUUtilizationPercentage");
        }

        foreach (var metric in (FromAnnotation(MetricsAnnotation) ?? []).OfType<JsonObject>())
        {
            metrics.Add((JsonNode)MetricSpecFromV1(metric));
        }

        if (metrics.Count == 0)
        {
            metrics.Add((JsonNode)new JsonObject { ["type"] = "Resource", ["resource"] = new JsonObject { ["name"] = "cpu", ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = 80 } } });
        }

        spec["metrics"] = metrics;
        if (annotations?[BehaviorAnnotation]?.ToString() is { } behavior)
        {
            annotations.Remove(BehaviorAnnotation);
            try
            {
                spec["behavior"] = JsonNode.Parse(behavior);
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }

        var status = hpa.GetOrAddObject("status");
        var current = new JsonArray();
        if (status["currentCPUUtilizationPercentage"] is { } currentCpu)
        {
            current.Add((JsonNode)new JsonObject { ["type"] = "Resource", ["resource"] = new JsonObject { ["name"] = "cpu", ["current"] = new JsonObject { ["averageUtilization"] = currentCpu.DeepClone() } } });
            status.Remove("currentCPUUtilizationPercentage");
        }

        foreach (var metric in (FromAnnotation(CurrentMetricsAnnotation) ?? []).OfType<JsonObject>())
        {
            current.Add((JsonNode)MetricStatusFromV1(metric));
        }

        status["currentMetrics"] = current.Count > 0 ? current : null;
        if (FromAnnotation(ConditionsAnnotation) is { } conditions)
        {
            status["conditions"] = conditions;
        }

        if (status["currentReplicas"] is JsonValue replicas && replicas.TryGetValue<long>(out var n) && n == 0)
        {
            status.Remove("currentReplicas");
        }

        if (annotations is { Count: 0 })
        {
            ((JsonObject)hpa["metadata"]!).Remove("annotations");
        }
    }

    // A v1 (v2beta1-shaped) MetricSpec as v2 writes it: a metric identifier and a target of a type.
    private static JsonObject MetricSpecFromV1(JsonObject v1)
    {
        var type = v1.GetString("type") ?? "";
        var source = v1[Camel(type)] as JsonObject ?? [];
        JsonObject Target(string? utilization, string? averageValue, string? value)
        {
            if (utilization is not null && source[utilization] is { } u)
            {
                return new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = u.DeepClone() };
            }

            if (averageValue is not null && source[averageValue] is { } a)
            {
                return new JsonObject { ["type"] = "AverageValue", ["averageValue"] = a.DeepClone() };
            }

            return new JsonObject { ["type"] = "Value", ["value"] = value is null ? null : source[value]?.DeepClone() };
        }

        JsonObject Metric(string nameField, string selectorField) =>
            new() { ["name"] = source[nameField]?.DeepClone(), ["selector"] = source[selectorField]?.DeepClone() };

        JsonObject v2 = type switch
        {
            "Resource" => new() { ["name"] = source["name"]?.DeepClone(), ["target"] = Target("targetAverageUtilization", "targetAverageValue", null) },
            "ContainerResource" => new() { ["name"] = source["name"]?.DeepClone(), ["container"] = source["container"]?.DeepClone(), ["target"] = Target("targetAverageUtilization", "targetAverageValue", null) },
            "Pods" => new() { ["metric"] = Metric("metricName", "selector"), ["target"] = Target(null, "targetAverageValue", null) },
            "Object" => new() { ["describedObject"] = source["target"]?.DeepClone(), ["metric"] = Metric("metricName", "selector"), ["target"] = Target(null, "averageValue", "targetValue") },
            "External" => new() { ["metric"] = Metric("metricName", "metricSelector"), ["target"] = Target(null, "targetAverageValue", "targetValue") },
            _ => (JsonObject)source.DeepClone(),
        };
        return new JsonObject { ["type"] = type, [Camel(type)] = v2 };
    }

    private static JsonObject MetricStatusFromV1(JsonObject v1)
    {
        var type = v1.GetString("type") ?? "";
        var source = v1[Camel(type)] as JsonObject ?? [];
        JsonObject Current(string? utilization, string? averageValue, string? value)
        {
            var current = new JsonObject();
            if (utilization is not null && source[utilization] is { } u)
            {
                current["averageUtilization"] = u.DeepClone();
            }

            if (averageValue is not null && source[averageValue] is { } a)
            {
                current["averageValue"] = a.DeepClone();
            }

            if (value is not null && source[value] is { } v)
            {
                current["value"] = v.DeepClone();
            }

            return current;
        }

        JsonObject v2 = type switch
        {
            "Resource" => new() { ["name"] = source["name"]?.DeepClone(), ["current"] = Current("currentAverageUtilization", "currentAverageValue", null) },
            "ContainerResource" => new() { ["name"] = source["name"]?.DeepClone(), ["container"] = source["container"]?.DeepClone(), ["current"] = Current("currentAverageUtilization", "currentAverageValue", null) },
            "Pods" => new() { ["metric"] = new JsonObject { ["name"] = source["metricName"]?.DeepClone(), ["selector"] = source["selector"]?.DeepClone() }, ["current"] = Current(null, "currentAverageValue", null) },
            "Object" => new() { ["describedObject"] = source["target"]?.DeepClone(), ["metric"] = new JsonObject { ["name"] = source["metricName"]?.DeepClone(), ["selector"] = source["selector"]?.DeepClone() }, ["current"] = Current(null, "averageValue", "currentValue") },
            "External" => new() { ["metric"] = new JsonObject { ["name"] = source["metricName"]?.DeepClone(), ["selector"] = source["metricSelector"]?.DeepClone() }, ["current"] = Current(null, "currentAverageValue", "currentValue") },
            _ => (JsonObject)source.DeepClone(),
        };
        return new JsonObject { ["type"] = type, [Camel(type)] = v2 };
    }

    private static string Camel(string type) => type.Length == 0 ? type : char.ToLowerInvariant(type[0]) + type[1..];
}
