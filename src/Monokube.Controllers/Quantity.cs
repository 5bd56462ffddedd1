using System.Globalization;

namespace Monokube.Controllers;

/// <summary>
/// resource.Quantity values as numbers: decimal SI suffixes (n, u, m, k, M, G, T, P, E), binary ones (Ki ... Ei),
/// and exponents (1e3). CPU "100m" is 0.1; memory "64Mi" is 67108864.
/// </summary>
public static class Quantity
{
    public static bool TryParse(string? text, out decimal value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var (suffix, multiplier) = Suffixes.FirstOrDefault(x => s.EndsWith(x.Suffix, StringComparison.Ordinal) && s.Length > x.Suffix.Length);
        if (suffix is not null)
        {
            s = s[..^suffix.Length];
        }
        else
        {
            multiplier = 1;
        }

        if (!decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        try
        {
            value = number * multiplier;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    public static decimal Parse(string? text) => TryParse(text, out var value) ? value : 0;

    // Longest suffixes first, so "Mi" is not read as "M" and "i".
    private static readonly (string Suffix, decimal Multiplier)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("Pi", 1024m * 1024 * 1024 * 1024 * 1024), ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("n", 0.000000001m), ("u", 0.000001m), ("m", 0.001m), ("k", 1000m), ("M", 1_000_000m), ("G", 1_000_000_000m),
        ("T", 1_000_000_000_000m), ("P", 1_000_000_000_000_000m), ("E", 1_000_000_000_000_000_000m),
    ];
}
