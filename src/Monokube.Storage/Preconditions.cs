namespace Monokube.Storage;

/// <summary>
/// Conditions a write checks against the current object atomically: <see cref="Revision"/> (0: any) must equal its
/// mod revision, and <see cref="Uid"/> (null: any) its metadata.uid.
/// </summary>
public readonly record struct Preconditions(long Revision = 0, string? Uid = null)
{
    public static Preconditions None => default;

    public bool IsEmpty => Revision == 0 && Uid is null;
}
