namespace Monokube.ApiServer.Hosting;

/// <summary>Writes kubeconfig files that kubectl and the official clients read.</summary>
public static class Kubeconfig
{
    /// <summary>
    /// A kubeconfig for a plain-HTTP server. Such a server authenticates nobody; the token is there only because
    /// some clients (the official C# client) refuse a kubeconfig user without credentials, and it is ignored.
    /// </summary>
    public static Task WriteInsecureAsync(string path, Uri server, CancellationToken cancellationToken) =>
        WriteAsync(path, Insecure(server), cancellationToken);

    /// <summary>A kubeconfig that trusts the server's CA and authenticates with a client certificate.</summary>
    public static Task WriteWithCertificateAsync(string path, Uri server, string caPem, string clientCertPem, string clientKeyPem, string user, CancellationToken cancellationToken) =>
        WriteAsync(path, WithCertificate(server, caPem, clientCertPem, clientKeyPem, user), cancellationToken);

    /// <summary>The text of <see cref="WriteInsecureAsync"/>'s kubeconfig.</summary>
    public static string Insecure(Uri server) =>
        Compose(server, null, "monokube", ["# Plain HTTP: the server authenticates nobody and ignores this token.", "token: insecure-http-authenticates-nobody"]);

    /// <summary>The text of <see cref="WriteWithCertificateAsync"/>'s kubeconfig.</summary>
    public static string WithCertificate(Uri server, string caPem, string clientCertPem, string clientKeyPem, string user) =>
        Compose(server, caPem, user, ["client-certificate-data: " + B64(clientCertPem), "client-key-data: " + B64(clientKeyPem)]);

    /// <summary>A kubeconfig that trusts the server's CA and authenticates with a bearer token (a bootstrap token).</summary>
    public static Task WriteWithTokenAsync(string path, Uri server, string caPem, string token, string user, CancellationToken cancellationToken) =>
        WriteAsync(path, Compose(server, caPem, user, ["token: " + token]), cancellationToken);

    private static string B64(string pem) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pem));

    private static string Compose(Uri server, string? caPem, string user, IEnumerable<string> credentials)
    {
        var ca = caPem is null ? "" : "\n    certificate-authority-data: " + B64(caPem);
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: monokube
              cluster:
                server: {server.ToString().TrimEnd('/')}{ca}
            users:
            - name: {user}
              user:
            {string.Join("\n", credentials.Select(c => "    " + c))}
            contexts:
            - name: monokube
              context:
                cluster: monokube
                user: {user}
            current-context: monokube

            """;
    }

    /// <summary>Writes kubeconfig text readable by its owner only (it carries credentials).</summary>
    public static async Task WriteAsync(string path, string text, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        await File.WriteAllTextAsync(path, text, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
