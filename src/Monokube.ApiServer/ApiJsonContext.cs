using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Monokube.ApiServer;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(VersionInfo))]
[JsonSerializable(typeof(Api.Status))]
internal sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>Escapes only what Go's encoding/json escapes in practice, so "+" stays "+" as kube-apiserver writes it.</summary>
    /// <summary>Compact, as kube-apiserver writes Status bodies.</summary>
    public static ApiJsonContext Compact { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static ApiJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
