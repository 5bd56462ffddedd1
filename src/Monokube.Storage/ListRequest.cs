namespace Monokube.Storage;

/// <summary>
/// A range read of every key under <paramref name="Prefix"/>, in key order. <paramref name="Revision"/> 0 reads the
/// latest state; otherwise the state at exactly that revision. <paramref name="Limit"/> 0 means no limit.
/// <paramref name="StartKey"/> (inclusive) continues a paged list; it must lie under the prefix.
/// </summary>
public readonly record struct ListRequest(string Prefix, long Revision = 0, int Limit = 0, string? StartKey = null);
