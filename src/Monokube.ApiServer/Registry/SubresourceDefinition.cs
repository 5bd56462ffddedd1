namespace Monokube.ApiServer.Registry;

/// <summary>A subresource such as pods/status or deployments/scale, and the kind it takes and returns.</summary>
public sealed record SubresourceDefinition(string Name, string Group, string Version, string Kind, IReadOnlyList<string> Verbs);
