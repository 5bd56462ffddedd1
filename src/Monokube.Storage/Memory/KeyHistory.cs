namespace Monokube.Storage.Memory;

/// <summary>The retained versions of one key, oldest first. A null value is a deletion (tombstone).</summary>
internal sealed class KeyHistory
{
    private readonly List<KeyVersion> _versions = new(1);

    public int Count => _versions.Count;

    public KeyVersion Latest => _versions[^1];

    public bool Exists => _versions.Count > 0 && _versions[^1].Value is not null;

    public void Add(KeyVersion version) => _versions.Add(version);

    /// <summary>The version visible at <paramref name="revision"/>, if the key existed then.</summary>
    public bool TryGetAt(long revision, out KeyVersion version)
    {
        for (var i = _versions.Count - 1; i >= 0; i--)
        {
            if (_versions[i].Revision <= revision)
            {
                version = _versions[i];
                return version.Value is not null;
            }
        }

        version = default;
        return false;
    }

    /// <summary>Drops what no read at or after <paramref name="revision"/> can see; true if nothing is left.</summary>
    public bool Compact(long revision)
    {
        var newestBefore = -1;
        for (var i = 0; i < _versions.Count && _versions[i].Revision < revision; i++)
        {
            newestBefore = i;
        }

        if (newestBefore >= 0)
        {
            var keepFrom = _versions[newestBefore].Value is null ? newestBefore + 1 : newestBefore;
            _versions.RemoveRange(0, keepFrom);
        }

        return _versions.Count == 0;
    }
}
