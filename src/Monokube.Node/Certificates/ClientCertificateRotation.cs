using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Monokube.Controllers.Client;

namespace Monokube.Node.Certificates;

/// <summary>
/// The kubelet's client certificate manager (rotateCertificates, --rotate-certificates): at a jittered deadline
/// between 70% and 90% of the current certificate's lifetime it asks for a new one with a CSR made with its current
/// certificate (the approver's selfnodeclient case), keeps it in the certificate store, makes it the certificate of
/// every new TLS handshake and closes the open connections so that every later request uses it. When a renewal
/// fails it tries again after 2, 4, 8 and 16 s, then every 32 s. Once the certificate has expired, a renewal goes
/// through the bootstrap kubeconfig when there is one (a kubelet's fallback), else with the expired certificate.
/// </summary>
public sealed class ClientCertificateRotation
{
    private static readonly TimeSpan LoopPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(16)];
    private static readonly TimeSpan SlowRetry = TimeSpan.FromSeconds(32);
    private static readonly TimeSpan WaitForIssue = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    private readonly KubeletCertificateStore _store;
    private readonly string _nodeName;
    private readonly string? _bootstrapKubeconfig;
    private readonly TimeProvider _time;
    private readonly TextWriter _log;
    private readonly Random _random;
    private volatile X509Certificate2 _current;

    public ClientCertificateRotation(KubeletCertificateStore store, X509Certificate2 initial, string nodeName, string? bootstrapKubeconfig, TimeProvider time, TextWriter log, Random? random = null)
    {
        _store = store;
        _current = initial;
        _nodeName = nodeName;
        _bootstrapKubeconfig = bootstrapKubeconfig;
        _time = time;
        _log = log;
        _random = random ?? Random.Shared;
    }

    /// <summary>The certificate to present in new TLS handshakes.</summary>
    public X509Certificate2 Current => _current;

    /// <summary>The connections of the client that uses <see cref="Current"/>, closed after each rotation.</summary>
    public ConnectionTracker Connections { get; } = new();

    /// <summary>How many certificates this manager has obtained.</summary>
    public int Rotations { get; private set; }

    /// <summary>
    /// The next deadline: 70-90% into the current certificate's lifetime, or now when it is not a certificate of
    /// this node (another CN, or not in system:nodes) — a kubelet renews at once a certificate that does not match
    /// what it would ask for.
    /// </summary>
    public DateTimeOffset NextDeadline()
    {
        var certificate = _current;
        if (!IsCertificateOf(certificate, _nodeName))
        {
            return _time.GetUtcNow();
        }

        return RotationDeadline.Compute(new DateTimeOffset(certificate.NotBefore.ToUniversalTime()), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()), _random.NextDouble());
    }

    /// <summary>Waits until the next deadline (at once when it has passed) and returns it.</summary>
    public async Task<DateTimeOffset> WaitForDeadlineAsync(CancellationToken cancellationToken)
    {
        var deadline = NextDeadline();
        var wait = deadline - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await WriteAsync($"client certificate expires {Format(_current.NotAfter)}; renewing it at {Format(deadline)} (in {wait:d\\.hh\\:mm\\:ss})");
            // In steps: a timer waits at most about 49 days, and a year-long certificate's deadline is further away.
            while (deadline - _time.GetUtcNow() is var left && left > TimeSpan.Zero)
            {
                await Task.Delay(left < LongestWait ? left : LongestWait, _time, cancellationToken);
            }
        }

        return deadline;
    }

    /// <summary>Renews the certificate at each deadline until cancelled, through <paramref name="client"/> (which presents <see cref="Current"/>).</summary>
    public async Task RunAsync(KubeClient client, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await WaitForDeadlineAsync(cancellationToken);
                await RenewWithBackoffAsync(client, cancellationToken);
                // The kubelet's manager runs its loop at most once a second: a signer whose certificates are due at
                // once (a signing duration shorter than its 5-minute backdating) is asked once a second, not flooded.
                await Task.Delay(LoopPeriod, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Tries to renew until it succeeds: at once, after 2, 4, 8 and 16 s (each ±10%), then every 32 s.</summary>
    public async Task RenewWithBackoffAsync(KubeClient client, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (await TryRenewAsync(client, cancellationToken))
            {
                return;
            }

            var delay = attempt < Backoff.Length ? Backoff[attempt] * (1 + (0.1 * _random.NextDouble())) : SlowRetry;
            await WriteAsync($"will try to renew the client certificate again in {delay.TotalSeconds:0.#}s");
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    /// <summary>One renewal: a new key, a CSR, the issued certificate stored and made current; false (and logged) on failure.</summary>
    public async Task<bool> TryRenewAsync(KubeClient client, CancellationToken cancellationToken)
    {
        var expired = _time.GetUtcNow() >= _current.NotAfter.ToUniversalTime();
        KubeClient? bootstrap = null;
        try
        {
            if (expired)
            {
                var fallback = _bootstrapKubeconfig is not null && File.Exists(_bootstrapKubeconfig) ? " with the bootstrap kubeconfig" : " with it all the same (no --bootstrap-kubeconfig to fall back to)";
                await WriteAsync($"the client certificate expired at {Format(_current.NotAfter)} before it was renewed; renewing it{fallback}");
                if (_bootstrapKubeconfig is not null && File.Exists(_bootstrapKubeconfig))
                {
                    bootstrap = new KubeClient(KubeconfigFile.Load(_bootstrapKubeconfig, "monokube/node"));
                }
            }

            var requester = bootstrap ?? client;
            using var key = NodeClientCertificateRequest.NewKey();
            var name = await NodeClientCertificateRequest.CreateAsync(requester, key, _nodeName, null, cancellationToken);
            await WriteAsync($"asked for a new client certificate ({name}); waiting for its approval");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(WaitForIssue);
            string issued;
            try
            {
                issued = await NodeClientCertificateRequest.WaitForCertificateAsync(requester, name, _time, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException($"the certificate request {name} was not issued within {WaitForIssue.TotalMinutes:0} minutes");
            }

            var certificate = _store.Update(issued, key.ExportPkcs8PrivateKeyPem());
            _current = certificate;
            Rotations++;
            var closed = Connections.CloseAll();
            await WriteAsync($"rotated its client certificate ({name}, serial {certificate.SerialNumber}, expires {Format(certificate.NotAfter)}); {_store.CurrentPath} now links to {Path.GetFileName(new FileInfo(_store.CurrentPath).LinkTarget)}; closed {closed} connection(s) to use it");
            return true;
        }
        catch (Exception e) when (e is KubeApiException or InvalidOperationException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            await WriteAsync($"could not renew the client certificate: {e.Message}");
            return false;
        }
        finally
        {
            bootstrap?.Dispose();
        }
    }

    // What the kubelet checks of its current certificate against the request it would make: the same CN, and O includes system:nodes.
    private static bool IsCertificateOf(X509Certificate2 certificate, string nodeName)
    {
        string? commonName = null;
        var nodes = false;
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            switch (rdn.GetSingleElementType().Value)
            {
                case "2.5.4.3":
                    commonName = rdn.GetSingleElementValue();
                    break;
                case "2.5.4.10":
                    nodes |= rdn.GetSingleElementValue() == "system:nodes";
                    break;
            }
        }

        return nodes && commonName == "system:node:" + nodeName;
    }

    private static string Format(DateTime time) => Format(new DateTimeOffset(time.ToUniversalTime()));

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task WriteAsync(string message)
    {
        await _log.WriteLineAsync($"monokube node {_nodeName}: {message}");
        await _log.FlushAsync(CancellationToken.None);
    }
}
