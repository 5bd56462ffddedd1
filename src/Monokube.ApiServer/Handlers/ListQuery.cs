using System.Globalization;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Selectors;

namespace Monokube.ApiServer.Handlers;

/// <summary>The list and watch query parameters of metav1.ListOptions, validated as kube-apiserver validates them.</summary>
public sealed record ListQuery(
    LabelSelector Labels,
    FieldSelector Fields,
    int Limit,
    string? Continue,
    string? ResourceVersion,
    string? ResourceVersionMatch,
    bool AllowWatchBookmarks,
    long? TimeoutSeconds,
    bool? SendInitialEvents,
    string IncludeObject)
{
    public static ListQuery Parse(IQueryCollection query, ResourceDefinition resource, bool watch)
    {
        LabelSelector labels;
        try
        {
            labels = LabelSelector.Parse(query["labelSelector"]);
        }
        catch (FormatException e)
        {
            throw new ApiException(Statuses.BadRequest($"unable to parse requirement: {e.Message}"));
        }

        FieldSelector fields;
        try
        {
            fields = FieldSelector.Parse(query["fieldSelector"]);
        }
        catch (FormatException e)
        {
            throw new ApiException(Statuses.BadRequest(e.Message));
        }

        foreach (var requirement in fields.Requirements)
        {
            if (requirement.Field is not ("metadata.name" or "metadata.namespace") && !resource.Strategy.SelectableFields.ContainsKey(requirement.Field))
            {
                throw new ApiException(Statuses.BadRequest($"field label not supported: {requirement.Field}"));
            }
        }

        var limit = 0;
        if (query["limit"].ToString() is { Length: > 0 } limitText && (!int.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit) || limit < 0))
        {
            throw new ApiException(Statuses.BadRequest($"invalid limit \"{limitText}\": must be a non-negative integer"));
        }

        var rv = NullIfEmpty(query["resourceVersion"]);
        var match = NullIfEmpty(query["resourceVersionMatch"]);
        var continueToken = NullIfEmpty(query["continue"]);
        if (rv is not null && rv != "0" && !long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new ApiException(Statuses.BadRequest($"invalid resource version \"{rv}\""));
        }

        if (match is not null && match is not ("Exact" or "NotOlderThan"))
        {
            throw new ApiException(Invalid(resource, "resourceVersionMatch", match, "supported values: \"Exact\", \"NotOlderThan\""));
        }

        if (match is not null && rv is null && query["sendInitialEvents"].ToString().Length == 0)
        {
            throw new ApiException(Invalid(resource, "resourceVersionMatch", match, "resourceVersionMatch is forbidden unless resourceVersion is provided"));
        }

        if (continueToken is not null && rv is not null && rv != "0")
        {
            throw new ApiException(Invalid(resource, "resourceVersion", rv, "specifying resource version is not allowed when using continue"));
        }

        if (match == "Exact" && rv == "0")
        {
            throw new ApiException(Invalid(resource, "resourceVersionMatch", match, "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
        }

        long? timeout = null;
        if (query["timeoutSeconds"].ToString() is { Length: > 0 } timeoutText)
        {
            if (!long.TryParse(timeoutText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) || t < 0)
            {
                throw new ApiException(Statuses.BadRequest($"invalid timeoutSeconds \"{timeoutText}\""));
            }

            timeout = t;
        }

        bool? sendInitialEvents = query["sendInitialEvents"].ToString() switch
        {
            "" => null,
            "true" => true,
            "false" => false,
            var other => throw new ApiException(Statuses.BadRequest($"invalid sendInitialEvents \"{other}\"")),
        };

        var include = query["includeObject"].ToString() switch
        {
            "" => "Metadata",
            "None" or "Metadata" or "Object" => query["includeObject"].ToString(),
            var other => throw new ApiException(Statuses.BadRequest($"includeObject must be one of None, Metadata, Object, not \"{other}\"")),
        };

        var bookmarks = query["allowWatchBookmarks"].ToString() is "true" or "1";
        if (sendInitialEvents is not null)
        {
            if (!watch)
            {
                throw new ApiException(Invalid(resource, "sendInitialEvents", sendInitialEvents.Value ? "true" : "false", "sendInitialEvents is forbidden for list"));
            }

            if (sendInitialEvents.Value && (match != "NotOlderThan" || !bookmarks))
            {
                throw new ApiException(Invalid(resource, "sendInitialEvents", "true", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan and allowWatchBookmarks to true"));
            }
        }

        return new ListQuery(labels, fields, limit, continueToken, rv, match, bookmarks, timeout, sendInitialEvents, include);
    }

    private static Status Invalid(ResourceDefinition resource, string field, string value, string detail) => new()
    {
        Message = $"ListOptions.meta.k8s.io \"\" is invalid: {field}: Invalid value: \"{value}\": {detail}",
        Reason = "Invalid",
        Details = new StatusDetails { Group = "meta.k8s.io", Kind = "ListOptions", Causes = [new StatusCause("FieldValueInvalid", $"Invalid value: \"{value}\": {detail}", field)] },
        Code = 422,
    };

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is { Length: > 0 } s ? s : null;
}
