namespace Monokube.ApiServer.ServerSideApply;

/// <summary>A field an apply would change that another manager owns.</summary>
public sealed record ApplyConflict(string Manager, string ApiVersion, string Field);
