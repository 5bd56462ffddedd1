using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Serialization;

namespace Monokube.ApiServer.Discovery;

/// <summary>
/// The discovery documents of kube-apiserver, legacy (APIVersions, APIGroupList, APIGroup, APIResourceList) and
/// aggregated (APIGroupDiscoveryList v2 and v2beta1), written as JSON bytes from the resource registry.
/// </summary>
public static class DiscoveryDocuments
{
    public static byte[] ApiVersions(string serverAddress) => Write(w =>
    {
        w.WriteString("kind", "APIVersions");
        w.WriteStartArray("versions");
        w.WriteStringValue("v1");
        w.WriteEndArray();
        w.WriteStartArray("serverAddressByClientCIDRs");
        w.WriteStartObject();
        w.WriteString("clientCIDR", "0.0.0.0/0");
        w.WriteString("serverAddress", serverAddress);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    public static byte[] ApiGroupList(ResourceRegistry registry) => Write(w =>
    {
        w.WriteString("kind", "APIGroupList");
        w.WriteString("apiVersion", "v1");
        w.WriteStartArray("groups");
        foreach (var group in registry.Groups.Where(g => g.Name.Length > 0))
        {
            w.WriteStartObject();
            WriteGroupBody(w, group);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    public static byte[] ApiGroup(ResourceRegistry.ApiGroup group) => Write(w =>
    {
        w.WriteString("kind", "APIGroup");
        w.WriteString("apiVersion", "v1");
        WriteGroupBody(w, group);
    });

    public static byte[] ApiResourceList(ResourceRegistry registry, string group, string version) => Write(w =>
    {
        w.WriteString("kind", "APIResourceList");
        if (group.Length > 0)
        {
            w.WriteString("apiVersion", "v1");
        }

        w.WriteString("groupVersion", group.Length == 0 ? version : group + "/" + version);
        w.WriteStartArray("resources");
        foreach (var resource in registry.InGroupVersion(group, version))
        {
            w.WriteStartObject();
            w.WriteString("name", resource.Plural);
            w.WriteString("singularName", resource.Singular);
            w.WriteBoolean("namespaced", resource.Namespaced);
            w.WriteString("kind", resource.Kind);
            WriteStrings(w, "verbs", resource.Verbs.Order(StringComparer.Ordinal));
            WriteStringsIfAny(w, "shortNames", resource.ShortNames);
            WriteStringsIfAny(w, "categories", resource.Categories);
            if (resource.Verbs.Contains("get") || resource.Verbs.Contains("list"))
            {
                w.WriteString("storageVersionHash", StorageVersionHash(resource));
            }

            w.WriteEndObject();
            foreach (var sub in resource.Subresources.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", resource.Plural + "/" + sub.Name);
                w.WriteString("singularName", "");
                w.WriteBoolean("namespaced", resource.Namespaced);
                if (sub.Group != resource.Group || sub.Version != resource.Version)
                {
                    w.WriteString("group", sub.Group);
                    w.WriteString("version", sub.Version);
                }

                w.WriteString("kind", sub.Kind);
                WriteStrings(w, "verbs", sub.Verbs.Order(StringComparer.Ordinal));
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
    });

    /// <summary>The aggregated list for /api (core only) or /apis (every other group), in v2 or v2beta1.</summary>
    public static byte[] Aggregated(ResourceRegistry registry, bool core, string discoveryVersion) => Write(w =>
    {
        w.WriteString("kind", "APIGroupDiscoveryList");
        w.WriteString("apiVersion", "apidiscovery.k8s.io/" + discoveryVersion);
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteStartArray("items");
        foreach (var group in registry.Groups.Where(g => (g.Name.Length == 0) == core))
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            if (group.Name.Length > 0)
            {
                w.WriteString("name", group.Name);
            }

            w.WriteEndObject();
            w.WriteStartArray("versions");
            foreach (var version in group.Versions)
            {
                w.WriteStartObject();
                w.WriteString("version", version);
                w.WriteStartArray("resources");
                foreach (var resource in registry.InGroupVersion(group.Name, version))
                {
                    WriteAggregatedResource(w, resource);
                }

                w.WriteEndArray();
                w.WriteString("freshness", "Current");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    /// <summary>kube's storageVersionHash: base64 of the first 8 bytes of sha256("group/version/Kind") of the storage version.</summary>
    public static string StorageVersionHash(ResourceDefinition resource)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{resource.Group}/{resource.Version}/{resource.Kind}"));
        return Convert.ToBase64String(hash, 0, 8);
    }

    public static string ETag(byte[] body) => "\"" + Convert.ToHexString(SHA512.HashData(body)) + "\"";

    private static void WriteAggregatedResource(Utf8JsonWriter w, ResourceDefinition resource)
    {
        w.WriteStartObject();
        w.WriteString("resource", resource.Plural);
        WriteKind(w, "responseKind", resource.Group, resource.Version, resource.Kind);
        w.WriteString("scope", resource.Namespaced ? "Namespaced" : "Cluster");
        w.WriteString("singularResource", resource.Singular);
        WriteStrings(w, "verbs", resource.Verbs.Order(StringComparer.Ordinal));
        WriteStringsIfAny(w, "shortNames", resource.ShortNames);
        WriteStringsIfAny(w, "categories", resource.Categories);
        if (resource.Subresources.Count > 0)
        {
            w.WriteStartArray("subresources");
            foreach (var sub in resource.Subresources.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("subresource", sub.Name);
                WriteKind(w, "responseKind", sub.Group, sub.Version, sub.Kind);
                WriteStrings(w, "verbs", sub.Verbs.Order(StringComparer.Ordinal));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteGroupBody(Utf8JsonWriter w, ResourceRegistry.ApiGroup group)
    {
        w.WriteString("name", group.Name);
        w.WriteStartArray("versions");
        foreach (var version in group.Versions)
        {
            WriteGroupVersion(w, null, group.Name, version);
        }

        w.WriteEndArray();
        WriteGroupVersion(w, "preferredVersion", group.Name, group.PreferredVersion);
    }

    private static void WriteGroupVersion(Utf8JsonWriter w, string? property, string group, string version)
    {
        if (property is null)
        {
            w.WriteStartObject();
        }
        else
        {
            w.WriteStartObject(property);
        }

        w.WriteString("groupVersion", group + "/" + version);
        w.WriteString("version", version);
        w.WriteEndObject();
    }

    private static void WriteKind(Utf8JsonWriter w, string property, string group, string version, string kind)
    {
        w.WriteStartObject(property);
        w.WriteString("group", group);
        w.WriteString("version", version);
        w.WriteString("kind", kind);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string property, IEnumerable<string> values)
    {
        w.WriteStartArray(property);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static void WriteStringsIfAny(Utf8JsonWriter w, string property, IReadOnlyList<string> values)
    {
        if (values.Count > 0)
        {
            WriteStrings(w, property, values);
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
