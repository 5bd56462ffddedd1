using System.Text.RegularExpressions;

namespace Monokube.Node.Runtime;

/// <summary>
/// A container's view of the file system, for a process that sees the host's: every mount path in a command-line
/// word (at its start, or after '=', ',', ':', a quote or white space, as in an sh -c script) is replaced by the
/// directory it is materialised in, the longest mount first.
/// </summary>
internal sealed class PathRewriter
{
    private readonly Regex? _pattern;
    private readonly Dictionary<string, string> _targets = new(StringComparer.Ordinal);

    public PathRewriter(IEnumerable<(string MountPath, string HostPath)> mounts)
    {
        foreach (var (mountPath, hostPath) in mounts.Where(m => m.MountPath.StartsWith('/')))
        {
            _targets[mountPath.TrimEnd('/')] = hostPath.TrimEnd('/');
        }

        // One pass over the word with every mount as an alternative, longest first, so a replaced path is never
        // matched again and /etc/kubernetes/kubelet-config wins over /etc/kubernetes.
        var alternatives = _targets.Keys.Where(k => k.Length > 0).OrderByDescending(k => k.Length).Select(Regex.Escape).ToList();
        _pattern = alternatives.Count == 0 ? null : new Regex("(?<=^|[=,:\\s'\"])(" + string.Join('|', alternatives) + ")(?=/|$|[,:;\\s'\"])", RegexOptions.CultureInvariant);
    }

    public string Rewrite(string word) => _pattern is null ? word : _pattern.Replace(word, match => _targets[match.Value]);

    /// <summary>A path inside the container (a working directory, a probe's file) as the host sees it.</summary>
    public string Resolve(string containerPath) => Rewrite(containerPath);
}
