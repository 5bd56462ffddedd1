using Monokube.ApiServer.Security;

namespace Monokube.ApiServer.Tests.Unit;

public sealed class KernelRandomTests
{
    [Fact]
    public void Fills_the_whole_buffer_with_bytes_that_differ_each_time()
    {
        var first = KernelRandom.GetBytes(16384);
        var second = KernelRandom.GetBytes(16384);
        Assert.Equal(16384, first.Length);
        Assert.NotEqual(first, second);

        // 16 KiB of random bytes has every byte value about 64 times; a buffer left partly unfilled would not.
        Assert.Equal(256, first.Distinct().Count());
        Assert.True(first.Count(b => b == 0) < 256, "too many zero bytes: part of the buffer was not filled");
    }

    [Fact]
    public void An_empty_buffer_is_fine()
    {
        KernelRandom.Fill(Span<byte>.Empty);
        Assert.Empty(KernelRandom.GetBytes(0));
    }
}
