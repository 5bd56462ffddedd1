using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Serialization;

namespace Monokube.Node.Runtime;

/// <summary>
/// --pod-manifest-path (staticPodPath): the pods this node runs from files, as the kubelet reads them: one Pod per
/// file (hidden files skipped), named &lt;name&gt;-&lt;node&gt;, in "default" unless the file says otherwise, bound to the
/// node, with the config hash as uid and the kubelet's config.hash/config.source/config.seen annotations.
/// </summary>
internal sealed class StaticPodSource(string directory, string nodeName, TimeProvider time)
{
    public const string HashAnnotation = "kubernetes.io/config.hash";
    public const string MirrorAnnotation = "kubernetes.io/config.mirror";

    /// <summary>The static pods by namespace/name, and the files that could not be read, with why.</summary>
    public (Dictionary<string, JsonObject> Pods, List<string> Errors) Read()
    {
        var pods = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var errors = new List<string>();
        if (!Directory.Exists(directory))
        {
            return (pods, errors);
        }

        foreach (var file in Directory.EnumerateFiles(directory).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal))
        {
            try
            {
                var text = File.ReadAllText(file);
                if (YamlBodyParser.Parse(text) is not JsonObject pod || pod.GetString("kind") != "Pod" || pod.GetString("metadata.name") is not { Length: > 0 } name)
                {
                    errors.Add($"{file}: not a Pod with a name");
                    continue;
                }

                var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(nodeName + "\n" + text)))[..32];
                var metadata = (JsonObject)pod["metadata"]!;
                metadata["name"] = name + "-" + nodeName;
                metadata["namespace"] = metadata.GetString("namespace") ?? "default";
                metadata["uid"] = hash;
                var annotations = metadata["annotations"] as JsonObject ?? [];
                annotations[HashAnnotation] = hash;
                annotations["kubernetes.io/config.source"] = "file";
                annotations["kubernetes.io/config.seen"] = KubeTime.Format(time.GetUtcNow());
                metadata["annotations"] = annotations;
                var spec = pod["spec"] as JsonObject ?? [];
                spec["nodeName"] = nodeName;
                pod["spec"] = spec;
                pod.Remove("status");
                pods[metadata.GetString("namespace") + "/" + metadata.GetString("name")] = pod;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or YamlDotNet.Core.YamlException)
            {
                errors.Add($"{file}: {e.Message}");
            }
        }

        return (pods, errors);
    }

    /// <summary>The mirror pod that stands for a static pod in the API.</summary>
    public static JsonObject Mirror(JsonObject pod, string nodeUid)
    {
        var mirror = (JsonObject)pod.DeepClone();
        var metadata = (JsonObject)mirror["metadata"]!;
        metadata.Remove("uid");
        var annotations = (JsonObject)metadata["annotations"]!;
        annotations[MirrorAnnotation] = annotations[HashAnnotation]!.ToString();
        metadata["ownerReferences"] = new JsonArray((JsonNode)new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["name"] = pod.GetString("spec.nodeName"),
            ["uid"] = nodeUid,
            ["controller"] = true,
        });
        mirror["apiVersion"] = "v1";
        mirror["kind"] = "Pod";
        return mirror;
    }
}
