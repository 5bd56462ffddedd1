namespace Monokube.Storage;

/// <summary>The backend could not be reached or did not answer in time; the operation's outcome is unknown.</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
