using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Monokube.Node.Certificates;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>The node agent's client certificate rotation, on a fake clock: when it renews and where it keeps certificates.</summary>
public sealed class ClientCertificateRotationTests
{
    private static readonly DateTimeOffset Issued = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(100);

    [Theory]
    [InlineData(0.0, 70)]
    [InlineData(0.5, 80)]
    [InlineData(0.25, 75)]
    public void The_deadline_is_70_to_90_percent_into_the_lifetime(double jitter, int percent)
    {
        Assert.Equal(Issued + (Lifetime * percent / 100), RotationDeadline.Compute(Issued, Issued + Lifetime, jitter));
        Assert.True(RotationDeadline.Compute(Issued, Issued + Lifetime, Math.BitDecrement(1.0)) <= Issued + (Lifetime * 0.9));
        Assert.Throws<ArgumentOutOfRangeException>(() => RotationDeadline.Compute(Issued, Issued + Lifetime, 1.0));
    }

    [Fact]
    public void Jittered_deadlines_spread_over_the_whole_window_and_never_leave_it()
    {
        var time = new FakeTimeProvider(Issued);
        using var certificate = NodeCertificate("n1", Issued, Issued + Lifetime);
        var rotation = new ClientCertificateRotation(new KubeletCertificateStore("/nonexistent", time), certificate, "n1", null, time, TextWriter.Null, new Random(7));

        var fractions = Enumerable.Range(0, 500).Select(_ => (rotation.NextDeadline() - Issued) / Lifetime).ToList();
        Assert.All(fractions, f => Assert.InRange(f, 0.7, 0.9));
        Assert.True(fractions.Min() < 0.71 && fractions.Max() > 0.89, $"deadlines between {fractions.Min():P1} and {fractions.Max():P1}");
    }

    [Fact]
    public async Task The_agent_waits_on_its_clock_until_the_deadline_and_not_longer()
    {
        var time = new FakeTimeProvider(Issued);
        using var certificate = NodeCertificate("n1", Issued, Issued + Lifetime);
        var log = new StringWriter();
        // The same seed as the rotation's: the deadline it will draw.
        var expected = RotationDeadline.Compute(Issued, Issued + Lifetime, new Random(42).NextDouble());
        var rotation = new ClientCertificateRotation(new KubeletCertificateStore("/nonexistent", time), certificate, "n1", null, time, log, new Random(42));

        var waiting = rotation.WaitForDeadlineAsync(TestContext.Current.CancellationToken);
        time.Advance(Lifetime * 0.69);
        Assert.False(waiting.IsCompleted);
        time.Advance(expected - time.GetUtcNow() - TimeSpan.FromSeconds(1));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(expected, await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Contains("renewing it at", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_year_long_certificate_is_waited_for_without_overflowing_a_timer()
    {
        var time = new FakeTimeProvider(Issued);
        using var certificate = NodeCertificate("n1", Issued, Issued.AddYears(1));
        var rotation = new ClientCertificateRotation(new KubeletCertificateStore("/nonexistent", time), certificate, "n1", null, time, TextWriter.Null, new Random(1));
        var expected = RotationDeadline.Compute(Issued, Issued.AddYears(1), new Random(1).NextDouble());

        var waiting = rotation.WaitForDeadlineAsync(TestContext.Current.CancellationToken);
        while (time.GetUtcNow() + TimeSpan.FromDays(1) < expected)
        {
            time.Advance(TimeSpan.FromDays(1));
            Assert.False(waiting.IsCompleted);
        }

        time.SetUtcNow(expected);
        Assert.Equal(expected, await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_certificate_past_its_deadline_or_of_another_subject_is_renewed_at_once()
    {
        var time = new FakeTimeProvider(Issued + (Lifetime * 0.95));
        using var late = NodeCertificate("n1", Issued, Issued + Lifetime);
        var rotation = new ClientCertificateRotation(new KubeletCertificateStore("/nonexistent", time), late, "n1", null, time, TextWriter.Null);
        await rotation.WaitForDeadlineAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        var early = new FakeTimeProvider(Issued);
        using var another = NodeCertificate("n2", Issued, Issued + Lifetime);
        Assert.Equal(Issued, new ClientCertificateRotation(new KubeletCertificateStore("/nonexistent", early), another, "n1", null, early, TextWriter.Null).NextDeadline());
    }

    [Fact]
    public void The_store_keeps_each_certificate_in_a_timestamped_file_and_links_the_current_one()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(Issued);
        var store = new KubeletCertificateStore(dir.File("pki"), time);
        Assert.Null(store.Current());

        using var firstKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var first = NodeCertificate("n1", Issued, Issued + Lifetime, firstKey);
        store.Update(first.ExportCertificatePem(), firstKey.ExportPkcs8PrivateKeyPem()).Dispose();
        time.Advance(TimeSpan.FromMinutes(75));
        using var secondKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = NodeCertificate("n1", time.GetUtcNow(), time.GetUtcNow() + Lifetime, secondKey);
        store.Update(second.ExportCertificatePem(), secondKey.ExportPkcs8PrivateKeyPem()).Dispose();

        var files = Directory.GetFiles(dir.File("pki")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var firstName = $"kubelet-client-{TimeZoneInfo.ConvertTime(Issued, time.LocalTimeZone):yyyy-MM-dd-HH-mm-ss}.pem";
        var secondName = $"kubelet-client-{time.GetLocalNow():yyyy-MM-dd-HH-mm-ss}.pem";
        Assert.Equal(new[] { firstName, secondName, "kubelet-client-current.pem" }.Order(StringComparer.Ordinal), files);
        Assert.Equal(Path.Combine(Path.GetFullPath(dir.File("pki")), secondName), new FileInfo(store.CurrentPath).LinkTarget);
        using var current = store.Current()!;
        Assert.Equal(second.SerialNumber, current.SerialNumber);
        Assert.True(current.HasPrivateKey);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir.File("pki"), secondName)));
        }
    }

    private static X509Certificate2 NodeCertificate(string node, DateTimeOffset notBefore, DateTimeOffset notAfter, ECDsa? key = null)
    {
        using var own = key is null ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var request = new CertificateRequest($"CN=system:node:{node}, O=system:nodes", key ?? own!, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(notBefore, notAfter);
    }
}
