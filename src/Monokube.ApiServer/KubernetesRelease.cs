namespace Monokube.ApiServer;

/// <summary>
/// A Kubernetes minor release whose API monokube can serve (kube-apiserver's --emulated-version): the version /version
/// reports, the RBAC bootstrap policy written at start, the resources discovery lists, and the authorization and
/// admission rules that changed between the releases monokube knows. 1.33 is the default; 1.26 is the release the
/// real components beside it (the pivot's, the differential tests') are.
/// </summary>
public sealed class KubernetesRelease
{
    private KubernetesRelease(int minor, int patch)
    {
        Minor = minor;
        Patch = patch;
        GitVersion = $"v1.{minor}.{patch}+monokube.{KubernetesVersion.Monokube}";
        Info = new VersionInfo
        {
            Major = "1",
            Minor = minor.ToString(System.Globalization.CultureInfo.InvariantCulture),
            GitVersion = GitVersion,
            GitCommit = "",
            GitTreeState = "clean",
            BuildDate = "",
            GoVersion = "",
            Compiler = "dotnet",
            Platform = KubernetesVersion.Platform,
        };
    }

    public static KubernetesRelease V1_26 { get; } = new(26, 1);

    public static KubernetesRelease V1_33 { get; } = new(33, 0);

    /// <summary>What monokube serves unless told otherwise.</summary>
    public static KubernetesRelease Default => V1_33;

    public static IReadOnlyList<KubernetesRelease> Supported { get; } = [V1_26, V1_33];

    public int Minor { get; }

    public int Patch { get; }

    /// <summary>"1.26".</summary>
    public string Name => "1." + Minor.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>As k3s does ("v1.30.2+k3s1"): the Kubernetes version, with the distribution as build metadata.</summary>
    public string GitVersion { get; }

    /// <summary>The body of GET /version.</summary>
    public VersionInfo Info { get; }

    /// <summary>The embedded bootstrap policy table of this release.</summary>
    public string PolicyTable => $"bootstrap-policy-{Name}.tsv";

    /// <summary>
    /// The rules kube tightened after 1.26 (the Node authorizer's field-selector requirement on pod lists, nodes
    /// that may not change their own ownerReferences, token audiences a node may ask for, node-bound tokens).
    /// </summary>
    public bool HasNodeRestrictionsOf133 => Minor >= 33;

    /// <summary>Whether this release serves a resource that appeared in 1.<paramref name="sinceMinor"/>.</summary>
    public bool Serves(int sinceMinor) => Minor >= sinceMinor;

    /// <summary>"1.26", "v1.26", "1.26.1": a supported release, or null.</summary>
    public static KubernetesRelease? Parse(string text)
    {
        var parts = text.TrimStart('v').Split('.');
        return parts.Length is 2 or 3 && parts[0] == "1" && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var minor)
            ? Supported.FirstOrDefault(r => r.Minor == minor)
            : null;
    }

    public override string ToString() => Name;
}
