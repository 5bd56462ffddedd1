using System.Globalization;

namespace Monokube.ApiServer.Objects;

/// <summary>metav1.Time (RFC 3339, whole seconds, UTC) and metav1.MicroTime (microseconds) as Kubernetes writes them.</summary>
public static class KubeTime
{
    // The last second formatted: objects written in the same second share its text.
    private static Formatted? s_last;

    public static string Format(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var second = utc.Ticks / TimeSpan.TicksPerSecond;
        if (Volatile.Read(ref s_last) is { } last && last.Second == second)
        {
            return last.Text;
        }

        // "s" is yyyy-MM-ddTHH:mm:ss, formatted without parsing a pattern.
        var text = string.Create(20, utc, static (chars, t) =>
        {
            t.TryFormat(chars, out _, "s", CultureInfo.InvariantCulture);
            chars[19] = 'Z';
        });
        Volatile.Write(ref s_last, new Formatted(second, text));
        return text;
    }

    public static string FormatMicro(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private sealed record Formatted(long Second, string Text);

    public static bool TryParse(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
