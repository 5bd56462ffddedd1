using System.Buffers.Text;
using System.Text.Json;

namespace Monokube.ApiServer.Handlers;

/// <summary>
/// kube-apiserver's continue token: base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"..."} where start is the
/// next key relative to the list's prefix. The list continues at exactly revision N.
/// </summary>
public static class ContinueToken
{
    public static string Encode(long revision, string startRelative)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("v", "meta.k8s.io/v1");
            w.WriteNumber("rv", revision);
            w.WriteString("start", startRelative);
            w.WriteEndObject();
        }

        return Base64Url.EncodeToString(buffer.ToArray());
    }

    public static bool TryDecode(string token, out long revision, out string startRelative)
    {
        revision = 0;
        startRelative = "";
        try
        {
            var bytes = Base64Url.DecodeFromChars(token);
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("v", out var v) || v.GetString() != "meta.k8s.io/v1"
                || !root.TryGetProperty("rv", out var rv) || !rv.TryGetInt64(out revision)
                || !root.TryGetProperty("start", out var start) || start.GetString() is not { } s)
            {
                return false;
            }

            startRelative = s;
            return revision > 0 && !s.StartsWith('/') && !s.Contains("..", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }

}
