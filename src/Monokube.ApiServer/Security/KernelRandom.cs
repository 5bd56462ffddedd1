namespace Monokube.ApiServer.Security;

/// <summary>
/// Cryptographic random bytes read from the kernel (/dev/urandom, which getrandom(2) also draws from). On Linux
/// <see cref="System.Security.Cryptography.RandomNumberGenerator"/> loads and initializes OpenSSL first (3.4 MB of
/// resident memory and a few milliseconds of start), which a plain-HTTP server otherwise never needs.
/// </summary>
public static class KernelRandom
{
    public static void Fill(Span<byte> buffer)
    {
        using var stream = new FileStream("/dev/urandom", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        stream.ReadExactly(buffer);
    }

    public static byte[] GetBytes(int count)
    {
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }
}
