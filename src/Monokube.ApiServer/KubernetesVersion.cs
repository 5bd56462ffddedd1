using System.Reflection;

namespace Monokube.ApiServer;

/// <summary>monokube's own version and platform; the Kubernetes version it serves is a <see cref="KubernetesRelease"/>.</summary>
public static class KubernetesVersion
{
    public static string Monokube { get; } =
        typeof(KubernetesVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>As Go names it: "linux/amd64".</summary>
    public static string Platform { get; } =
        $"{(OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : "windows")}/{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant() switch { "x64" => "amd64", "arm64" => "arm64", var other => other }}";
}
