namespace Monokube.Node;

/// <summary>--host-root: a node whose host file system is a directory (several nodes, or a node beside the real
/// one, on one machine). Host paths (hostPath volumes, the paths in --config) are resolved under it.</summary>
public static class HostPaths
{
    public static string Resolve(string hostRoot, string path) =>
        hostRoot is "/" or "" ? path : Path.Combine(hostRoot, path.TrimStart('/'));
}
