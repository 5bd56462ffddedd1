using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.Controllers.Hashing;

/// <summary>
/// The names kube-controller-manager derives from pod templates, computed the same way so that a real
/// controller-manager recognises what monokube made: the pod-template-hash of Deployments' ReplicaSets and the
/// controller-revision-hash of DaemonSets (FNV-32a over go-spew's print of the template, plus the collision count,
/// written with kube's safe alphabet), and a DaemonSet's ControllerRevision data (its template as a JSON patch).
/// </summary>
public static class TemplateHash
{
    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>kube's ComputeHash(template, collisionCount).</summary>
    public static string Compute(JsonObject template, long? collisionCount)
    {
        var hash = Fnv32a(2166136261u, Encoding.UTF8.GetBytes(GoSpew.Format(template, "v1.PodTemplateSpec")));
        if (collisionCount is { } count)
        {
            var bytes = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, unchecked((uint)count));
            hash = Fnv32a(hash, bytes);
        }

        return SafeEncode(hash.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The Data of a DaemonSet's ControllerRevision (kube's getPatch): {"spec":{"template":{...,"$patch":"replace"}}}
    /// with the template as Go writes it and every object's keys sorted.
    /// </summary>
    public static string DaemonSetRevisionData(JsonObject template)
    {
        var marshaled = (JsonObject)GoJson.Marshal(template, "v1.PodTemplateSpec")!;
        marshaled["$patch"] = "replace";
        var patch = new JsonObject { ["spec"] = new JsonObject { ["template"] = marshaled } };
        return Sorted(patch)!.ToJsonString();
    }

    /// <summary>kube's rand.SafeEncodeString: each character mapped into an alphabet without vowels or look-alikes.</summary>
    public static string SafeEncode(string text) =>
        new([.. text.Select(c => SafeAlphabet[c % SafeAlphabet.Length])]);

    private static uint Fnv32a(uint hash, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            hash ^= b;
            hash = unchecked(hash * 16777619u);
        }

        return hash;
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Sorted)]),
        _ => node?.DeepClone(),
    };
}
