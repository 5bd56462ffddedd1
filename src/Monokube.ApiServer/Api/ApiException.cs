namespace Monokube.ApiServer.Api;

/// <summary>
/// A request that cannot be served, carrying the Status the client gets. Thrown at the edges (decoding, validation,
/// negotiation) and written by the dispatcher; expected store outcomes are results, not exceptions.
/// </summary>
public sealed class ApiException(Status status) : Exception(status.Message)
{
    public Status Status { get; } = status;
}
