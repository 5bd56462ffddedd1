namespace Monokube.Storage;

/// <summary>
/// A page of a list. <see cref="Revision"/> is the revision the read was served at (a list's resourceVersion);
/// when <see cref="HasMore"/>, <see cref="NextKey"/> continues the list at the same revision and
/// <see cref="RemainingCount"/> says how many objects follow.
/// </summary>
public sealed record ListResult(StoreStatus Status, IReadOnlyList<StoredObject> Items, long Revision, bool HasMore, long RemainingCount)
{
    public string? NextKey => HasMore && Items.Count > 0 ? Items[^1].Key + "\0" : null;

    public static ListResult Failed(StoreStatus status, long revision) => new(status, [], revision, false, 0);
}
