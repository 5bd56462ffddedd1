using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Monokube.Controllers.Client;

/// <summary>
/// Reads a kubeconfig's current context into client options: the cluster's server and CA (file or data,
/// insecure-skip-tls-verify) and the user's client certificate and key (file or data) or token (or token file).
/// </summary>
public static class KubeconfigFile
{
    public static KubeClientOptions Load(string path, string userAgent)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var contextName = Scalar(root, "current-context") ?? throw new FormatException($"{path} has no current-context");
        var context = Named(root, "contexts", contextName, "context");
        var cluster = Named(root, "clusters", Scalar(context, "cluster") ?? "", "cluster");
        var user = Named(root, "users", Scalar(context, "user") ?? "", "user");

        var server = Scalar(cluster, "server") ?? throw new FormatException($"{path}: the cluster has no server");
        var cas = new X509Certificate2Collection();
        if (Bytes(cluster, "certificate-authority", baseDir) is { } caPem)
        {
            cas.ImportFromPem(Encoding.ASCII.GetString(caPem));
        }

        X509Certificate2? clientCertificate = null;
        if (Bytes(user, "client-certificate", baseDir) is { } cert && Bytes(user, "client-key", baseDir) is { } key)
        {
            clientCertificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(cert), Encoding.ASCII.GetString(key));
        }

        var token = Scalar(user, "token");
        if (token is null && Scalar(user, "tokenFile") is { } tokenFile)
        {
            token = File.ReadAllText(Path.Combine(baseDir, tokenFile)).Trim();
        }

        return new KubeClientOptions
        {
            Server = new Uri(server),
            CertificateAuthorities = cas,
            InsecureSkipTlsVerify = Scalar(cluster, "insecure-skip-tls-verify") == "true",
            ClientCertificate = clientCertificate,
            BearerToken = token,
            UserAgent = userAgent,
        };
    }

    private static YamlMappingNode Named(YamlMappingNode root, string list, string name, string field)
    {
        if (root.Children.TryGetValue(new YamlScalarNode(list), out var items) && items is YamlSequenceNode sequence)
        {
            foreach (var item in sequence.OfType<YamlMappingNode>())
            {
                if (Scalar(item, "name") == name && item.Children.TryGetValue(new YamlScalarNode(field), out var value) && value is YamlMappingNode mapping)
                {
                    return mapping;
                }
            }
        }

        throw new FormatException($"the kubeconfig has no {field} named \"{name}\"");
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    // "<name>-data" (base64) or "<name>" (a file path relative to the kubeconfig).
    private static byte[]? Bytes(YamlMappingNode node, string name, string baseDir)
    {
        if (Scalar(node, name + "-data") is { Length: > 0 } data)
        {
            return Convert.FromBase64String(data);
        }

        return Scalar(node, name) is { Length: > 0 } file ? File.ReadAllBytes(Path.Combine(baseDir, file)) : null;
    }
}
