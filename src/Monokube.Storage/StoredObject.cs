namespace Monokube.Storage;

/// <summary>One stored version of a key. <paramref name="Value"/> must not be mutated by readers.</summary>
public sealed record StoredObject(string Key, byte[] Value, long ModRevision, long CreateRevision);
