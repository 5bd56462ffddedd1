namespace Monokube.ApiServer.ServerSideApply;

/// <summary>An applied configuration that is not a valid object of its type (a keyed list's element without its key, duplicate keys).</summary>
public sealed class ApplyConfigurationException(string message) : Exception(message);
