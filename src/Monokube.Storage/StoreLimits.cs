namespace Monokube.Storage;

public static class StoreLimits
{
    /// <summary>etcd's default --max-request-bytes is 1.5 MiB per request; keep 8 KiB for the key and the envelope.</summary>
    public const int DefaultMaxValueBytes = (1536 * 1024) - (8 * 1024);
}
