using System.Net;
using System.Security.Cryptography.X509Certificates;
using Monokube.ApiServer.Security;
using Monokube.ApiServer.Security.Authentication;
using Monokube.ApiServer.Security.Pki;
using Monokube.ApiServer.Services;

namespace Monokube.Testing;

/// <summary>
/// One CA, serving certificate, service-account key and admin client certificate for every HTTPS cluster of the
/// process, held in memory. Generating an RSA key takes from tens of milliseconds to a second, and loading
/// certificates from files costs tens more: done once, a cluster's HTTPS costs nothing at start. The files
/// <see cref="ServingPki"/> generates them into are deleted at once.
/// </summary>
internal sealed class SharedCertificates
{
    private static readonly Lazy<SharedCertificates> Instance = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private SharedCertificates(ServingPki pki, string caPem, string adminCertPem, string adminKeyPem)
    {
        Pki = pki;
        CaPem = caPem;
        AdminCertPem = adminCertPem;
        AdminKeyPem = adminKeyPem;
    }

    /// <summary>Lives as long as the process: every cluster serves with it, none disposes it.</summary>
    public ServingPki Pki { get; }

    public string CaPem { get; }

    public string AdminCertPem { get; }

    public string AdminKeyPem { get; }

    /// <summary>The security options of a test cluster: these certificates, kube-apiserver's defaults otherwise.</summary>
    public SecurityOptions SecurityOptions => new() { LoadedPki = Pki };

    public static SharedCertificates Get() => Instance.Value;

    private static SharedCertificates Create()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"monokube-testing-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        try
        {
            // The bind address and service range of every test cluster, which the serving certificate names.
            var now = DateTimeOffset.UtcNow;
            var pki = ServingPki.Load(new SecurityOptions { CertDir = directory }, IPAddress.Loopback, ServiceIpRange.Default, now);
            using var admin = pki.GeneratedCa!.IssueClient("kubernetes-admin", [UserInfo.Masters], TimeSpan.FromDays(365), now);
            return new SharedCertificates(
                pki,
                pki.GeneratedCa.Certificate.ExportCertificatePem() + "\n",
                admin.ExportCertificatePem() + "\n",
                admin.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
