using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace Monokube.Node.Certificates;

/// <summary>
/// The kubelet's client certificate files in --cert-dir: each certificate (with its key, PEM) in
/// kubelet-client-&lt;yyyy-MM-dd-HH-mm-ss&gt;.pem, and kubelet-client-current.pem a symbolic link to the one in use.
/// A new link is made as kubelet-client-updated.pem and renamed over the current one, so a reader sees the old
/// certificate or the new one, never neither; an update interrupted between the two is finished at the next start.
/// </summary>
public sealed class KubeletCertificateStore(string certDir, TimeProvider time)
{
    public const string Prefix = "kubelet-client";

    public string CurrentPath => Path.Combine(Path.GetFullPath(certDir), Prefix + "-current.pem");

    private string UpdatedPath => Path.Combine(Path.GetFullPath(certDir), Prefix + "-updated.pem");

    /// <summary>The certificate in use with its key, or null when there is none yet.</summary>
    public X509Certificate2? Current()
    {
        Recover();
        if (!File.Exists(CurrentPath))
        {
            return null;
        }

        var pem = File.ReadAllText(CurrentPath);
        return X509Certificate2.CreateFromPem(pem, pem);
    }

    /// <summary>Keeps a newly issued certificate and its key and makes it the current one; returns it.</summary>
    public X509Certificate2 Update(string certificatePem, string keyPem)
    {
        Directory.CreateDirectory(certDir);
        var stamp = time.GetLocalNow().ToString("yyyy-MM-dd-HH-mm-ss", CultureInfo.InvariantCulture);
        var file = Path.Combine(Path.GetFullPath(certDir), $"{Prefix}-{stamp}.pem");
        var content = certificatePem.TrimEnd() + "\n" + keyPem.TrimEnd() + "\n";
        var certificate = X509Certificate2.CreateFromPem(content, content);

        // Written beside and renamed into place: a certificate issued in the same second as the current one must
        // not be seen half written through the link.
        var temporary = file + ".tmp";
        File.WriteAllText(temporary, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, file, overwrite: true);

        var updated = new FileInfo(UpdatedPath);
        if (updated.Exists || updated.LinkTarget is not null)
        {
            File.Delete(UpdatedPath);
        }

        File.CreateSymbolicLink(UpdatedPath, file);
        // rename(2) replaces the current link in one step.
        File.Move(UpdatedPath, CurrentPath, overwrite: true);
        return certificate;
    }

    // An update stopped after the new link was made but before it replaced the current one: finish it.
    private void Recover()
    {
        if (!File.Exists(CurrentPath) && new FileInfo(UpdatedPath).LinkTarget is not null)
        {
            File.Move(UpdatedPath, CurrentPath, overwrite: true);
        }
    }
}
