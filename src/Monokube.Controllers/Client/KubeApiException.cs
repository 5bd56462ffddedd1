using System.Net;
using System.Text.Json.Nodes;

namespace Monokube.Controllers.Client;

/// <summary>A request the API answered with an error Status (or could not answer at all: code 0).</summary>
public sealed class KubeApiException(HttpStatusCode code, string reason, string message, JsonObject? status = null)
    : Exception($"{(int)code} {reason}: {message}")
{
    public HttpStatusCode Code { get; } = code;

    public string Reason { get; } = reason;

    public string StatusMessage { get; } = message;

    public JsonObject? Status { get; } = status;

    public bool IsNotFound => Code == HttpStatusCode.NotFound;

    public bool IsConflict => Code == HttpStatusCode.Conflict;

    public bool IsAlreadyExists => Code == HttpStatusCode.Conflict && Reason == "AlreadyExists";

    public bool IsGone => Code == HttpStatusCode.Gone;

    /// <summary>No answer at all: the connection failed (the API is not up, or is handing its port over).</summary>
    public bool IsUnreachable => Code == 0;
}
