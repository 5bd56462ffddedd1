namespace Monokube.ApiServer.Patching;

/// <summary>A patch that cannot be applied to the object (the client gets 422), or is malformed (400).</summary>
public sealed class PatchException(string message, bool malformed = false) : Exception(message)
{
    public bool Malformed { get; } = malformed;
}
