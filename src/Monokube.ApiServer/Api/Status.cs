using System.Text.Json.Serialization;

namespace Monokube.ApiServer.Api;

/// <summary>
/// metav1.Status, the body of every error reply: clients read <see cref="Reason"/> and <see cref="Code"/> to tell
/// NotFound from Conflict from Invalid, and show <see cref="Message"/> to users.
/// </summary>
public sealed class Status
{
    public string Kind => "Status";

    public string ApiVersion => "v1";

    public Dictionary<string, string> Metadata { get; } = [];

    [JsonPropertyName("status")]
    public string Outcome { get; init; } = "Failure";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Message { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StatusDetails? Details { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Code { get; init; }

    public static Status NotFoundPath() => new()
    {
        Message = "the server could not find the requested resource",
        Reason = "NotFound",
        Details = new StatusDetails(),
        Code = 404,
    };
}
