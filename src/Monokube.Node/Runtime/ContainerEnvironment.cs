using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Node.Runtime;

/// <summary>
/// A container's environment as the kubelet builds it: envFrom (ConfigMaps and Secrets, with prefixes) first, then
/// env in order (values with $(VAR) references to what came before, fieldRef, resourceFieldRef, configMapKeyRef,
/// secretKeyRef), over a base of PATH, HOME, HOSTNAME and KUBERNETES_SERVICE_HOST/PORT pointing at the API the
/// node itself talks to (host-network processes reach it there, not at the Service's cluster IP).
/// </summary>
internal static class ContainerEnvironment
{
    public static async Task<Dictionary<string, string>> BuildAsync(JsonObject container, PodInputs inputs, Uri? apiServer, string nodeName, CancellationToken cancellationToken)
    {
        var pod = inputs.Pod;
        var hostNetwork = pod.Find("spec.hostNetwork") is JsonValue host && host.GetValue<bool>();
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/root",
            ["HOSTNAME"] = hostNetwork ? nodeName : pod.GetString("metadata.name") ?? "",
        };
        if (apiServer is not null)
        {
            env["KUBERNETES_SERVICE_HOST"] = apiServer.Host;
            env["KUBERNETES_SERVICE_PORT"] = apiServer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var source in (container["envFrom"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var prefix = source.GetString("prefix") ?? "";
            var secret = source["secretRef"] is JsonObject;
            var reference = (source["secretRef"] ?? source["configMapRef"]) as JsonObject;
            if (reference?.GetString("name") is not { } name)
            {
                continue;
            }

            var values = await inputs.RequireAsync(secret, name, Optional(reference), cancellationToken);
            foreach (var (key, value) in values)
            {
                env[prefix + key] = Encoding.UTF8.GetString(value);
            }
        }

        foreach (var variable in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (variable.GetString("name") is not { } name)
            {
                continue;
            }

            if (variable["valueFrom"] is not JsonObject from)
            {
                env[name] = VariableExpansion.Expand(variable.GetString("value") ?? "", v => env.GetValueOrDefault(v));
                continue;
            }

            if (await ValueFromAsync(from, container, inputs, cancellationToken) is { } value)
            {
                env[name] = value;
            }
        }

        return env;
    }

    private static async Task<string?> ValueFromAsync(JsonObject from, JsonObject container, PodInputs inputs, CancellationToken cancellationToken)
    {
        if (from["fieldRef"] is JsonObject field)
        {
            return inputs.Field(field.GetString("fieldPath") ?? "");
        }

        if (from["resourceFieldRef"] is JsonObject resource)
        {
            // The container's own limit or request as written; the node's allocatable stands for a missing limit.
            var path = resource.GetString("resource") ?? "";
            var dot = path.IndexOf('.', StringComparison.Ordinal);
            var value = dot < 0 ? null : (container.Find("resources." + path[..dot]) as JsonObject)?[path[(dot + 1)..]]?.ToString();
            return value ?? (path.StartsWith("limits.", StringComparison.Ordinal) ? NodeAgentOptions.DefaultCapacity.GetValueOrDefault(path[7..]) ?? "0" : "0");
        }

        var secret = from["secretKeyRef"] is JsonObject;
        if ((from["secretKeyRef"] ?? from["configMapKeyRef"]) is not JsonObject keyRef || keyRef.GetString("name") is not { } objectName)
        {
            return null;
        }

        var key = keyRef.GetString("key") ?? "";
        var values = await inputs.RequireAsync(secret, objectName, Optional(keyRef), cancellationToken);
        if (values.TryGetValue(key, out var bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }

        return Optional(keyRef)
            ? null
            : throw new ContainerConfigException($"couldn't find key {key} in {(secret ? "Secret" : "ConfigMap")} {inputs.Pod.GetString("metadata.namespace")}/{objectName}");
    }

    private static bool Optional(JsonObject reference) => reference["optional"] is JsonValue v && v.GetValue<bool>();
}
