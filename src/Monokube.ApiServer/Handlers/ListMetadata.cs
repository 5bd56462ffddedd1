namespace Monokube.ApiServer.Handlers;

/// <summary>metav1.ListMeta of a list reply.</summary>
public sealed record ListMetadata(long ResourceVersion, string? Continue, long? RemainingItemCount);
