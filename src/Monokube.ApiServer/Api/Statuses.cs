using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Api;

/// <summary>The Status replies of kube-apiserver's errors package, with its wording.</summary>
public static class Statuses
{
    public static Status NotFound(ResourceDefinition resource, string name) => NotFound(resource.Group, resource.Plural, name);

    public static Status NotFound(string group, string plural, string name) => new()
    {
        Message = $"{Qualified(group, plural)} \"{name}\" not found",
        Reason = "NotFound",
        Details = new StatusDetails { Name = name, Group = NullIfEmpty(group), Kind = plural },
        Code = 404,
    };

    public static Status AlreadyExists(ResourceDefinition resource, string name) => new()
    {
        Message = $"{resource.QualifiedPlural} \"{name}\" already exists",
        Reason = "AlreadyExists",
        Details = new StatusDetails { Name = name, Group = NullIfEmpty(resource.Group), Kind = resource.Plural },
        Code = 409,
    };

    public static Status Conflict(ResourceDefinition resource, string name, string detail) => new()
    {
        Message = $"Operation cannot be fulfilled on {resource.QualifiedPlural} \"{name}\": {detail}",
        Reason = "Conflict",
        Details = new StatusDetails { Name = name, Group = NullIfEmpty(resource.Group), Kind = resource.Plural },
        Code = 409,
    };

    public static Status Modified(ResourceDefinition resource, string name) =>
        Conflict(resource, name, "the object has been modified; please apply your changes to the latest version and try again");

    public static Status Invalid(ResourceDefinition resource, string? name, IReadOnlyList<StatusCause> causes) => new()
    {
        Message = FieldErrors.InvalidMessage(resource.QualifiedKind, name, causes),
        Reason = "Invalid",
        Details = new StatusDetails { Name = name, Group = NullIfEmpty(resource.ValidationGroup ?? resource.Group), Kind = resource.Kind, Causes = causes },
        Code = 422,
    };

    public static Status BadRequest(string message) => new() { Message = message, Reason = "BadRequest", Code = 400 };

    public static Status Forbidden(ResourceDefinition resource, string? name, string detail) => new()
    {
        Message = name is null ? $"{resource.QualifiedPlural} is forbidden: {detail}" : $"{resource.QualifiedPlural} \"{name}\" is forbidden: {detail}",
        Reason = "Forbidden",
        Details = new StatusDetails { Name = name, Group = NullIfEmpty(resource.Group), Kind = resource.Plural },
        Code = 403,
    };

    public static Status MethodNotAllowed(string message) => new() { Message = message, Reason = "MethodNotAllowed", Details = new StatusDetails(), Code = 405 };

    public static Status UnsupportedMediaType(string message) => new() { Message = message, Reason = "UnsupportedMediaType", Details = new StatusDetails(), Code = 415 };

    public static Status NotAcceptable(string message) => new() { Message = message, Reason = "NotAcceptable", Code = 406 };

    public static Status RequestEntityTooLarge(string message) => new() { Message = message, Reason = "RequestEntityTooLarge", Code = 413 };

    public static Status Expired(string message) => new() { Message = message, Reason = "Expired", Code = 410 };

    public static Status Gone(string message) => new() { Message = message, Reason = "Gone", Code = 410 };

    public static Status InternalError(string message) => new()
    {
        Message = "Internal error occurred: " + message,
        Reason = "InternalError",
        Details = new StatusDetails { Causes = [new StatusCause(null, message, null)] },
        Code = 500,
    };

    public static Status Timeout(string message, int retryAfterSeconds) => new()
    {
        Message = message,
        Reason = "Timeout",
        Details = new StatusDetails { RetryAfterSeconds = retryAfterSeconds },
        Code = 504,
    };

    public static Status TooManyRequests(string message, int retryAfterSeconds) => new()
    {
        Message = message,
        Reason = "TooManyRequests",
        Details = new StatusDetails { RetryAfterSeconds = retryAfterSeconds },
        Code = 429,
    };

    /// <summary>The body of a successful delete that returns no object.</summary>
    public static Status Success(ResourceDefinition resource, string name, string? uid) => new()
    {
        Outcome = "Success",
        Details = new StatusDetails { Name = name, Group = NullIfEmpty(resource.Group), Kind = resource.Plural, Uid = uid },
        Code = 0,
    };

    private static string Qualified(string group, string plural) => group.Length == 0 ? plural : plural + "." + group;

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
