namespace Monokube.ApiServer.Serialization;

/// <summary>A parsed media type such as "application/json;as=Table;v=v1;g=meta.k8s.io".</summary>
public sealed record MediaType(string Type, IReadOnlyDictionary<string, string> Parameters, double Quality = 1)
{
    public string? this[string parameter] => Parameters.TryGetValue(parameter, out var value) ? value : null;

    public static MediaType Parse(string text)
    {
        var parts = text.Split(';');
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        double quality = 1;
        foreach (var part in parts.Skip(1))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim().Trim('"');
            if (key == "q")
            {
                _ = double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out quality);
                continue;
            }

            parameters[key] = value;
        }

        return new MediaType(parts[0].Trim().ToLowerInvariant(), parameters, quality);
    }

    /// <summary>Parses an Accept header into its alternatives, best first (stable for equal quality).</summary>
    public static IReadOnlyList<MediaType> ParseAccept(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return [];
        }

        return [.. header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Parse)
            .Select((m, i) => (m, i))
            .OrderByDescending(x => x.m.Quality)
            .ThenBy(x => x.i)
            .Select(x => x.m)];
    }
}
