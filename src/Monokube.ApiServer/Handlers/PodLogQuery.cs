using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Handlers;

/// <summary>
/// The query of GET pods/{name}/log (PodLogOptions), parsed and validated as kube-apiserver does (a value that is not
/// a number is a 400; a negative tailLines, a limitBytes or sinceSeconds under 1, or both since options are a 422),
/// and the query it passes on to the kubelet's /containerLogs.
/// </summary>
public sealed record PodLogQuery(string Container, bool Follow, bool Previous, bool Timestamps, long? SinceSeconds, DateTimeOffset? SinceTime, long? TailLines, long? LimitBytes)
{
    public static PodLogQuery Parse(IQueryCollection query, string podName)
    {
        var options = new PodLogQuery(
            query["container"].ToString(),
            Bool(query, "follow"),
            Bool(query, "previous"),
            Bool(query, "timestamps"),
            Long(query, "sinceSeconds"),
            Time(query, "sinceTime"),
            Long(query, "tailLines"),
            Long(query, "limitBytes"));
        options.Validate(podName);
        return options;
    }

    /// <summary>The kubelet's query: the options that are set, in kube's order.</summary>
    public string KubeletQuery()
    {
        var query = new StringBuilder();
        void Add(string name, string value) => query.Append(query.Length > 0 ? "&" : "").Append(name).Append('=').Append(Uri.EscapeDataString(value));
        if (Follow)
        {
            Add("follow", "true");
        }

        if (LimitBytes is { } limit)
        {
            Add("limitBytes", limit.ToString(CultureInfo.InvariantCulture));
        }

        if (Previous)
        {
            Add("previous", "true");
        }

        if (SinceSeconds is { } seconds)
        {
            Add("sinceSeconds", seconds.ToString(CultureInfo.InvariantCulture));
        }

        if (SinceTime is { } time)
        {
            Add("sinceTime", KubeTime.Format(time));
        }

        if (TailLines is { } tail)
        {
            Add("tailLines", tail.ToString(CultureInfo.InvariantCulture));
        }

        if (Timestamps)
        {
            Add("timestamps", "true");
        }

        return query.ToString();
    }

    private void Validate(string podName)
    {
        var causes = new List<StatusCause>();
        if (TailLines is < 0)
        {
            causes.Add(FieldErrors.Invalid("tailLines", TailLines.Value, "must be greater than or equal to 0"));
        }

        if (LimitBytes is < 1)
        {
            causes.Add(FieldErrors.Invalid("limitBytes", LimitBytes.Value, "must be greater than 0"));
        }

        if (SinceSeconds is not null && SinceTime is not null)
        {
            causes.Add(FieldErrors.Forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"));
        }
        else if (SinceSeconds is < 1)
        {
            causes.Add(FieldErrors.Invalid("sinceSeconds", SinceSeconds.Value, "must be greater than 0"));
        }

        if (causes.Count > 0)
        {
            throw new ApiException(new Status
            {
                Message = FieldErrors.InvalidMessage("PodLogOptions", podName, causes),
                Reason = "Invalid",
                Details = new StatusDetails { Name = podName, Kind = "PodLogOptions", Causes = causes },
                Code = 422,
            });
        }
    }

    // As kube's query conversion: present and neither "0" nor "false" is true.
    private static bool Bool(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 && values[0] is { } value && value != "0" && !value.Equals("false", StringComparison.OrdinalIgnoreCase);

    private static long? Long(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0 || values[0] is not { } text)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ApiException(Statuses.BadRequest($"invalid value \"{text}\" for {name}: strconv.ParseInt: parsing \"{text}\": invalid syntax"));
    }

    private static DateTimeOffset? Time(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0 || values[0] is not { Length: > 0 } text)
        {
            return null;
        }

        return DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new ApiException(Statuses.BadRequest($"invalid value \"{text}\" for {name}: not an RFC 3339 time"));
    }
}
