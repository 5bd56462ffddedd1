namespace Monokube.ApiServer.Hosting;

/// <summary>Writes kubeconfig files that kubectl and the official clients read.</summary>
public static class Kubeconfig
{
    /// <summary>
    /// A kubeconfig for a plain-HTTP server. Such a server authenticates nobody; the token is there only because
    /// some clients (the official C# client) refuse a kubeconfig user without credentials, and it is ignored.
    /// </summary>
    public static async Task WriteInsecureAsync(string path, Uri server, CancellationToken cancellationToken)
    {
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: monokube
              cluster:
                server: {server.ToString().TrimEnd('/')}
            users:
            - name: monokube
              # Plain HTTP: the server authenticates nobody and ignores this token.
              user:
                token: insecure-http-authenticates-nobody
            contexts:
            - name: monokube
              context:
                cluster: monokube
                user: monokube
            current-context: monokube

            """;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        await File.WriteAllTextAsync(path, text, cancellationToken);
    }
}
