using System.Reflection;

namespace Monokube.ApiServer;

/// <summary>The Kubernetes version whose API monokube serves, and monokube's own version.</summary>
public static class KubernetesVersion
{
    public const string Major = "1";
    public const string Minor = "33";
    public const string Patch = "0";

    public static string Monokube { get; } =
        typeof(KubernetesVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>As k3s does ("v1.30.2+k3s1"): the Kubernetes version, with the distribution as build metadata.</summary>
    public static string GitVersion { get; } = $"v{Major}.{Minor}.{Patch}+monokube.{Monokube}";

    public static VersionInfo Info { get; } = new()
    {
        Major = Major,
        Minor = Minor,
        GitVersion = GitVersion,
        GitCommit = "",
        GitTreeState = "clean",
        BuildDate = "",
        GoVersion = "",
        Compiler = "dotnet",
        Platform = $"{(OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : "windows")}/{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant() switch { "x64" => "amd64", "arm64" => "arm64", var other => other }}",
    };
}
