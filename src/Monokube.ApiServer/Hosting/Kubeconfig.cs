namespace Monokube.ApiServer.Hosting;

/// <summary>Writes kubeconfig files that kubectl and the official clients read.</summary>
public static class Kubeconfig
{
    /// <summary>A kubeconfig for a plain-HTTP server: no credentials, since such a server authenticates nobody.</summary>
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
              user: {"{}"}
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
