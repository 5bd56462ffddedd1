namespace Monokube.Storage.Memory;

internal readonly record struct KeyVersion(long Revision, long CreateRevision, byte[]? Value);
