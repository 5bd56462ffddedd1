using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Node.Runtime;

/// <summary>
/// A pod's volumes as directories: ConfigMap, Secret, projected (ConfigMaps, Secrets, downward API,
/// service-account tokens) and downwardAPI volumes written under the pod's directory with their modes, emptyDir
/// as an empty directory there, hostPath under the agent's host root. Other kinds are refused by name.
/// </summary>
internal static class PodVolumes
{
    private const int DefaultMode = 420; // 0644

    /// <summary>Where each of the pod's volumes is on the host (known before they are written, so that an adopted
    /// process's probes see the same paths).</summary>
    public static Dictionary<string, string> Directories(JsonObject pod, string podDirectory, string hostRoot) =>
        (pod.Find("spec.volumes") as JsonArray ?? []).OfType<JsonObject>().ToDictionary(
            v => v.GetString("name") ?? "",
            v => v["hostPath"] is JsonObject hostPath ? HostPaths.Resolve(hostRoot, hostPath.GetString("path") ?? "/") : Path.Combine(podDirectory, "volumes", v.GetString("name") ?? ""),
            StringComparer.Ordinal);

    /// <summary>Writes every volume (hostPath ones are only checked or created, as their type says).</summary>
    public static async Task MaterialiseAsync(PodInputs inputs, string podDirectory, string hostRoot, CancellationToken cancellationToken)
    {
        foreach (var volume in (inputs.Pod.Find("spec.volumes") as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = volume.GetString("name") ?? "";
            var directory = Path.Combine(podDirectory, "volumes", name);
            if (volume["hostPath"] is JsonObject hostPath)
            {
                CheckHostPath(hostRoot, hostPath);
                continue;
            }

            var files = new List<(string Path, byte[] Content, int Mode)>();
            if (volume["emptyDir"] is JsonObject)
            {
                Directory.CreateDirectory(directory);
            }
            else if (volume["configMap"] is JsonObject configMap)
            {
                await AddObjectAsync(files, inputs, secret: false, configMap.GetString("name"), configMap, Mode(configMap, "defaultMode"), cancellationToken);
            }
            else if (volume["secret"] is JsonObject secret)
            {
                await AddObjectAsync(files, inputs, secret: true, secret.GetString("secretName"), secret, Mode(secret, "defaultMode"), cancellationToken);
            }
            else if (volume["downwardAPI"] is JsonObject downward)
            {
                AddDownward(files, inputs, downward, Mode(downward, "defaultMode"));
            }
            else if (volume["projected"] is JsonObject projected)
            {
                var mode = Mode(projected, "defaultMode");
                foreach (var source in (projected["sources"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    if (source["configMap"] is JsonObject c)
                    {
                        await AddObjectAsync(files, inputs, secret: false, c.GetString("name"), c, mode, cancellationToken);
                    }
                    else if (source["secret"] is JsonObject s)
                    {
                        await AddObjectAsync(files, inputs, secret: true, s.GetString("name"), s, mode, cancellationToken);
                    }
                    else if (source["downwardAPI"] is JsonObject d)
                    {
                        AddDownward(files, inputs, d, mode);
                    }
                    else if (source["serviceAccountToken"] is JsonObject t)
                    {
                        var token = await inputs.TokenAsync(t.GetString("audience"), t["expirationSeconds"] is JsonValue e ? long.Parse(e.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) : 3607, cancellationToken);
                        files.Add((t.GetString("path") ?? "token", Encoding.UTF8.GetBytes(token), mode));
                    }
                    else
                    {
                        throw new ContainerConfigException($"volume \"{name}\": projected source {source.FirstOrDefault().Key} is not supported by the process runtime");
                    }
                }
            }
            else
            {
                var kind = volume.Select(kv => kv.Key).FirstOrDefault(k => k != "name") ?? "(none)";
                throw new ContainerConfigException($"volume \"{name}\": {kind} volumes are not supported by the process runtime");
            }

            Write(directory, files);
        }
    }

    private static void CheckHostPath(string hostRoot, JsonObject hostPath)
    {
        var path = hostPath.GetString("path") ?? "/";
        var onHost = HostPaths.Resolve(hostRoot, path);
        switch (hostPath.GetString("type"))
        {
            case "DirectoryOrCreate":
                Directory.CreateDirectory(onHost);
                break;
            case "FileOrCreate" when !File.Exists(onHost):
                Directory.CreateDirectory(Path.GetDirectoryName(onHost)!);
                File.WriteAllBytes(onHost, []);
                break;
            case "Directory" when !Directory.Exists(onHost):
                throw new ContainerConfigException($"hostPath type check failed: {path} is not a directory");
            case "File" when !File.Exists(onHost):
                throw new ContainerConfigException($"hostPath type check failed: {path} is not a file");
        }
    }

    private static async Task AddObjectAsync(List<(string, byte[], int)> files, PodInputs inputs, bool secret, string? objectName, JsonObject source, int mode, CancellationToken cancellationToken)
    {
        var optional = source["optional"] is JsonValue o && o.GetValue<bool>();
        var values = await inputs.RequireAsync(secret, objectName ?? "", optional, cancellationToken);
        if (source["items"] is JsonArray items)
        {
            foreach (var item in items.OfType<JsonObject>())
            {
                var key = item.GetString("key") ?? "";
                if (!values.TryGetValue(key, out var content))
                {
                    if (optional)
                    {
                        continue;
                    }

                    throw new ContainerConfigException($"configmap references non-existent config key: {key}");
                }

                files.Add((item.GetString("path") ?? key, content, Mode(item, "mode", mode)));
            }

            return;
        }

        files.AddRange(values.Select(kv => (kv.Key, kv.Value, mode)));
    }

    private static void AddDownward(List<(string, byte[], int)> files, PodInputs inputs, JsonObject source, int mode)
    {
        foreach (var item in (source["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var value = item.Find("fieldRef.fieldPath")?.ToString() is { } field ? inputs.Field(field) : "";
            files.Add((item.GetString("path") ?? "", Encoding.UTF8.GetBytes(value), Mode(item, "mode", mode)));
        }
    }

    private static int Mode(JsonObject obj, string field, int fallback = DefaultMode) =>
        obj[field] is JsonValue v && int.TryParse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture, out var mode) ? mode : fallback;

    private static void Write(string directory, List<(string Path, byte[] Content, int Mode)> files)
    {
        Directory.CreateDirectory(directory);
        var root = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        foreach (var (relative, content, mode) in files)
        {
            var path = Path.GetFullPath(Path.Combine(directory, relative));
            if (!path.StartsWith(root, StringComparison.Ordinal))
            {
                throw new ContainerConfigException($"volume path \"{relative}\" leaves the volume");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Delete(path);
            File.WriteAllBytes(path, content);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)(mode & 0x1FF));
            }
        }
    }
}
