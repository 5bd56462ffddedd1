using System.Net;
using System.Security.Cryptography.X509Certificates;
using Monokube.ApiServer.Security;
using Monokube.ApiServer.Security.Authentication;
using Monokube.ApiServer.Security.Pki;
using Monokube.ApiServer.Services;

namespace Monokube.Testing;

/// <summary>
/// One CA, serving certificate, service-account key and admin client certificate for every HTTPS cluster of the
/// process. Generating RSA keys costs tens of milliseconds each, more than the rest of a cluster's start; done once,
/// a cluster only loads them. Kept in a private temporary directory that is removed when the process exits.
/// </summary>
internal sealed class SharedCertificates
{
    private static readonly Lazy<SharedCertificates> Instance = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private SharedCertificates(string certDir, string caPem, string adminCertPem, string adminKeyPem)
    {
        CertDir = certDir;
        CaPem = caPem;
        AdminCertPem = adminCertPem;
        AdminKeyPem = adminKeyPem;
    }

    /// <summary>The --cert-dir every cluster serves from (ca.crt, ca.key, apiserver.crt, apiserver.key, sa.key).</summary>
    public string CertDir { get; }

    public string CaPem { get; }

    public string AdminCertPem { get; }

    public string AdminKeyPem { get; }

    public static SharedCertificates Get() => Instance.Value;

    /// <summary>The security options of a test cluster: the shared cert dir, kube-apiserver's defaults otherwise.</summary>
    public SecurityOptions SecurityOptions => new() { CertDir = CertDir };

    private static SharedCertificates Create()
    {
        var root = Path.Combine(Path.GetTempPath(), $"monokube-testing-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        var certDir = Path.Combine(root, "certs");
        Directory.CreateDirectory(certDir);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);

        // The same bind address and service range as every cluster's, so each finds the serving certificate covers it.
        var now = DateTimeOffset.UtcNow;
        using var pki = ServingPki.Load(new SecurityOptions { CertDir = certDir }, IPAddress.Loopback, ServiceIpRange.Default, now);
        var ca = pki.GeneratedCa!;
        using var admin = ca.IssueClient("kubernetes-admin", [UserInfo.Masters], TimeSpan.FromDays(365), now);
        return new SharedCertificates(
            certDir,
            ca.Certificate.ExportCertificatePem() + "\n",
            admin.ExportCertificatePem() + "\n",
            admin.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
