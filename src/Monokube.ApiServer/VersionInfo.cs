namespace Monokube.ApiServer;

/// <summary>The body of GET /version (k8s.io/apimachinery version.Info).</summary>
public sealed class VersionInfo
{
    public required string Major { get; init; }

    public required string Minor { get; init; }

    public required string GitVersion { get; init; }

    public required string GitCommit { get; init; }

    public required string GitTreeState { get; init; }

    public required string BuildDate { get; init; }

    public required string GoVersion { get; init; }

    public required string Compiler { get; init; }

    public required string Platform { get; init; }
}
