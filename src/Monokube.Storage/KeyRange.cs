namespace Monokube.Storage;

/// <summary>Key arithmetic shared by the stores (etcd's range_end convention).</summary>
public static class KeyRange
{
    /// <summary>The smallest key greater than every key starting with <paramref name="prefix"/>.</summary>
    public static string PrefixEnd(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var last = prefix[^1];
        if (last == char.MaxValue)
        {
            throw new ArgumentException("prefix must not end with U+FFFF", nameof(prefix));
        }

        return string.Concat(prefix.AsSpan(0, prefix.Length - 1), [(char)(last + 1)]);
    }

    public static void ValidateKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key[0] != '/')
        {
            throw new ArgumentException($"store keys start with '/': \"{key}\"", nameof(key));
        }
    }
}
