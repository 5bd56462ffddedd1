using System.Text.Json.Serialization;

namespace Monokube.ApiServer.Api;

/// <summary>metav1.StatusCause: one reason a request was invalid, with the field it concerns.</summary>
public sealed record StatusCause(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Field);
