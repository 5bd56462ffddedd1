using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Schema;
using Monokube.ApiServer.Serialization;

namespace Monokube.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI documents of the served API, derived from the registry: one v3 document per group-version
/// (/openapi/v3/api/v1, /openapi/v3/apis/apps/v1, ...) and one v2 document for everything.
/// </summary>
public static class OpenApiDocuments
{
    public static string GroupVersionPath(string group, string version) => group.Length == 0 ? "api/" + version : $"apis/{group}/{version}";

    public static byte[] V3(ResourceRegistry registry, DefinitionNames names, string group, string version)
    {
        var schemas = new SchemaWriter(names, v3: true);
        var operations = new OperationWriter(schemas, v3: true);
        return Write(w =>
        {
            w.WriteString("openapi", "3.0.0");
            WriteInfo(w, registry.Release);
            w.WriteStartObject("paths");
            foreach (var resource in registry.InGroupVersion(group, version).Where(IsPublished))
            {
                operations.WriteResource(w, resource);
            }

            w.WriteEndObject();
            RequireMeta(schemas);
            w.WriteStartObject("components");
            w.WriteStartObject("schemas");
            schemas.WriteDefinitions(w);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    public static byte[] V2(ResourceRegistry registry, DefinitionNames names)
    {
        var schemas = new SchemaWriter(names, v3: false);
        var operations = new OperationWriter(schemas, v3: false);
        return Write(w =>
        {
            w.WriteString("swagger", "2.0");
            WriteInfo(w, registry.Release);
            w.WriteStartObject("paths");
            foreach (var resource in registry.Resources.Where(IsPublished))
            {
                operations.WriteResource(w, resource);
            }

            w.WriteEndObject();
            RequireMeta(schemas);
            w.WriteStartObject("definitions");
            schemas.WriteDefinitions(w);
            w.WriteEndObject();
        });
    }

    // Built-in kinds with a model type, and every custom resource (whose CRD's schema is published).
    private static bool IsPublished(ResourceDefinition resource) => resource.Schema?.ModelName is not null || !resource.IsBuiltinGroup;

    /// <summary>kube-openapi's hash: upper-case hex SHA-512 of the document's JSON.</summary>
    public static string Hash(byte[] document) => Convert.ToHexString(SHA512.HashData(document));

    private static void RequireMeta(SchemaWriter schemas)
    {
        schemas.Require(ModelSchemas.For("V1ListMeta"));
        schemas.Require(ModelSchemas.For("V1DeleteOptions"), ("", "v1", "DeleteOptions"));
    }

    private static void WriteInfo(Utf8JsonWriter w, KubernetesRelease release)
    {
        w.WriteStartObject("info");
        w.WriteString("title", "Kubernetes");
        w.WriteString("version", $"v1.{release.Minor}.{release.Patch}");
        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        using (var w = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
