namespace Monokube.Bootstrap.Render;

/// <summary>A render that cannot be done as asked (a non-empty directory, a bad CIDR); the message says why.</summary>
public sealed class RenderException(string message) : Exception(message);
