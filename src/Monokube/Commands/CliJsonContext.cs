using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Monokube.ApiServer;

namespace Monokube.Commands;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(VersionInfo))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    public static CliJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
