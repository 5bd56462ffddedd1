using System.Globalization;

namespace Monokube.Controllers.Hashing;

/// <summary>
/// A resource.Quantity as Go holds it after kube-apiserver stored it and a controller read it back: the canonical
/// string (what the API serves) parsed again into the int64 amount (value × 10^scale), the cached string (kept only
/// when Go's parser recognises the text as canonical) and the format.
/// </summary>
internal readonly record struct GoQuantity(long Value, int Scale, string Cached, string Format)
{
    private const int Nano = -9;

    /// <summary>What a controller sees for a quantity written as <paramref name="text"/>, rounded up to 10^<paramref name="roundUpScale"/> first if given.</summary>
    public static GoQuantity FromStored(string text, int? roundUpScale = null) => ParseCanonical(Canonical(text, roundUpScale));

    /// <summary>The canonical form kube-apiserver stores and serves ("0.5" is "500m", "1536Mi" stays, "1000" is "1k").</summary>
    public static string Canonical(string text, int? roundUpScale = null)
    {
        var (value, format) = ParseAny(text);
        value = RoundUp(value, -Nano);
        if (roundUpScale is { } scale)
        {
            value = RoundUp(value, -scale);
        }

        if (value == 0)
        {
            return "0";
        }

        var sign = value < 0 ? "-" : "";
        var magnitude = Math.Abs(value);
        if (format == "BinarySI" && (magnitude < 1024 || magnitude != decimal.Truncate(magnitude)))
        {
            format = "DecimalSI";
        }

        if (format == "BinarySI")
        {
            var amount = magnitude;
            var exponent = 0;
            while (amount % 1024 == 0 && exponent < 60)
            {
                amount /= 1024;
                exponent += 10;
            }

            return sign + amount.ToString(CultureInfo.InvariantCulture) + exponent switch
            {
                0 => "",
                10 => "Ki",
                20 => "Mi",
                30 => "Gi",
                40 => "Ti",
                50 => "Pi",
                _ => "Ei",
            };
        }

        // mantissa × 10^exponent with no trailing zeros, then the exponent brought down to a multiple of three.
        var (mantissa, exp) = Decompose(magnitude);
        switch (((exp % 3) + 3) % 3)
        {
            case 1:
                mantissa *= 10;
                exp -= 1;
                break;
            case 2:
                mantissa *= 100;
                exp -= 2;
                break;
        }

        var number = sign + mantissa.ToString(CultureInfo.InvariantCulture);
        if (format == "DecimalExponent")
        {
            return exp == 0 ? number : number + "e" + exp.ToString(CultureInfo.InvariantCulture);
        }

        return number + exp switch
        {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            0 => "",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            18 => "E",
            _ => "e" + exp.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Go's ParseQuantity on a canonical string, for the values that fit its int64 fast path.</summary>
    public static GoQuantity ParseCanonical(string text)
    {
        if (text == "0")
        {
            return new GoQuantity(0, 0, "0", "DecimalSI");
        }

        var positive = !text.StartsWith('-');
        var body = text.TrimStart('-', '+');
        var digitsEnd = 0;
        while (digitsEnd < body.Length && (char.IsAsciiDigit(body[digitsEnd]) || body[digitsEnd] == '.'))
        {
            digitsEnd++;
        }

        var numberText = body[..digitsEnd];
        var suffix = body[digitsEnd..];
        var dot = numberText.IndexOf('.', StringComparison.Ordinal);
        var num = (dot < 0 ? numberText : numberText[..dot]).TrimStart('0');
        var denom = dot < 0 ? "" : numberText[(dot + 1)..];
        if (num.Length == 0)
        {
            num = "0";
        }

        var (isBinary, exponent, format) = Suffix(suffix);
        var scale = 0;
        var mantissa = 1L;
        int precision;
        if (!isBinary)
        {
            scale = exponent;
            precision = 18 - (num.Length + denom.Length);
        }
        else if (exponent >= 0 && denom.Length == 0)
        {
            mantissa = 1L << exponent;
            precision = 15 - num.Length - (int)(exponent * 3f / 10) - 1;
        }
        else
        {
            precision = -1;
        }

        if (precision < 0 || (scale -= denom.Length) < Nano)
        {
            throw new NotSupportedException($"the quantity {text} takes Go's arbitrary-precision path");
        }

        var shifted = num + denom;
        var value = long.Parse(shifted, CultureInfo.InvariantCulture) * mantissa;
        if (!positive)
        {
            value = -value;
        }

        var cached = isBinary
            ? exponent % 10 == 0 && (long.Parse(shifted, CultureInfo.InvariantCulture) & 0x07) != 0
            : scale % 3 == 0 && !shifted.EndsWith("000", StringComparison.Ordinal) && shifted[0] != '0';
        return new GoQuantity(value, scale, cached ? text : "", format);
    }

    private static (decimal Value, string Format) ParseAny(string text)
    {
        var s = text.Trim();
        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] is '.' or '-' or '+'))
        {
            end++;
        }

        var (isBinary, exponent, format) = Suffix(s[end..]);
        if (!decimal.TryParse(s[..end], NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            throw new FormatException($"invalid quantity \"{text}\"");
        }

        var multiplier = isBinary ? (decimal)Math.Pow(2, exponent) : Pow10(exponent);
        return (number * multiplier, format);
    }

    private static (bool Binary, int Exponent, string Format) Suffix(string suffix) => suffix switch
    {
        "" => (false, 0, "DecimalSI"),
        "n" => (false, -9, "DecimalSI"),
        "u" => (false, -6, "DecimalSI"),
        "m" => (false, -3, "DecimalSI"),
        "k" => (false, 3, "DecimalSI"),
        "M" => (false, 6, "DecimalSI"),
        "G" => (false, 9, "DecimalSI"),
        "T" => (false, 12, "DecimalSI"),
        "P" => (false, 15, "DecimalSI"),
        "E" => (false, 18, "DecimalSI"),
        "Ki" => (true, 10, "BinarySI"),
        "Mi" => (true, 20, "BinarySI"),
        "Gi" => (true, 30, "BinarySI"),
        "Ti" => (true, 40, "BinarySI"),
        "Pi" => (true, 50, "BinarySI"),
        "Ei" => (true, 60, "BinarySI"),
        var e when e.Length > 1 && e[0] is 'e' or 'E' && int.TryParse(e[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var x) => (false, x, "DecimalExponent"),
        _ => throw new FormatException($"invalid quantity suffix \"{suffix}\""),
    };

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            result = exponent > 0 ? result * 10 : result / 10;
        }

        return result;
    }

    // Rounds away from zero to `digits` decimal places (Go's inf.RoundUp).
    private static decimal RoundUp(decimal value, int digits)
    {
        var factor = Pow10(digits);
        var scaled = value * factor;
        var truncated = decimal.Truncate(scaled);
        return (truncated == scaled ? truncated : truncated + Math.Sign(value)) / factor;
    }

    private static (long Mantissa, int Exponent) Decompose(decimal magnitude)
    {
        var exponent = 0;
        while (magnitude != decimal.Truncate(magnitude))
        {
            magnitude *= 10;
            exponent--;
        }

        var mantissa = (long)magnitude;
        while (mantissa != 0 && mantissa % 10 == 0)
        {
            mantissa /= 10;
            exponent++;
        }

        return (mantissa, exponent);
    }
}
