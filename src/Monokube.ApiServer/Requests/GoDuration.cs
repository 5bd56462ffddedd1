using System.Globalization;

namespace Monokube.ApiServer.Requests;

/// <summary>Go's duration syntax ("300ms", "1m30s", "2h"), as every Kubernetes component's duration flags use.</summary>
public static class GoDuration
{
    public static TimeSpan Parse(string text)
    {
        var s = text.AsSpan().Trim();
        if (s.IsEmpty)
        {
            throw new FormatException("empty duration");
        }

        var negative = s[0] == '-';
        if (s[0] is '-' or '+')
        {
            s = s[1..];
        }

        if (s.SequenceEqual("0"))
        {
            return TimeSpan.Zero;
        }

        double totalMilliseconds = 0;
        while (!s.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < s.Length && (char.IsAsciiDigit(s[numberLength]) || s[numberLength] == '.'))
            {
                numberLength++;
            }

            var unitLength = 0;
            while (numberLength + unitLength < s.Length && !char.IsAsciiDigit(s[numberLength + unitLength]) && s[numberLength + unitLength] != '.')
            {
                unitLength++;
            }

            if (numberLength == 0 || unitLength == 0)
            {
                throw new FormatException($"time: invalid duration \"{text}\"");
            }

            if (!double.TryParse(s[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                throw new FormatException($"time: invalid duration \"{text}\"");
            }

            var scale = s.Slice(numberLength, unitLength) switch
            {
                "ns" => 1e-6,
                "us" or "µs" or "μs" => 1e-3,
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => throw new FormatException($"time: unknown unit \"{s.Slice(numberLength, unitLength)}\" in duration \"{text}\""),
            };
            totalMilliseconds += number * scale;
            s = s[(numberLength + unitLength)..];
        }

        if (!double.IsFinite(totalMilliseconds) || totalMilliseconds > TimeSpan.MaxValue.TotalMilliseconds)
        {
            throw new FormatException($"time: invalid duration \"{text}\"");
        }

        var result = TimeSpan.FromMilliseconds(totalMilliseconds);
        return negative ? -result : result;
    }

    /// <summary>Formats as Go does: "1h0m0s", "1m30s", "10s", "1.5s".</summary>
    public static string Format(TimeSpan value)
    {
        var seconds = value.Seconds + (value.Milliseconds / 1000.0);
        var secondsText = seconds.ToString(CultureInfo.InvariantCulture) + "s";
        var hours = (long)value.TotalHours;
        if (hours > 0)
        {
            return $"{hours}h{value.Minutes}m{secondsText}";
        }

        return value.Minutes > 0 ? $"{value.Minutes}m{secondsText}" : secondsText;
    }
}
