using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Handlers;

/// <summary>metav1.DeleteOptions from the request body (kubectl sends one) or the query string.</summary>
public sealed record DeleteOptions(long? GracePeriodSeconds, string? PropagationPolicy, string? PreconditionUid, string? PreconditionResourceVersion, bool DryRun)
{
    public static async Task<DeleteOptions> ReadAsync(HttpContext context)
    {
        var query = context.Request.Query;
        long? grace = null;
        string? policy = null;
        string? uid = null;
        string? rv = null;
        var dryRun = false;

        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var bytes = await RequestBody.ReadBytesAsync(context);
            if (bytes.Length > 0)
            {
                var type = context.Request.ContentType is { } header ? Serialization.MediaType.Parse(header).Type : "application/json";
                var body = (type switch
                {
                    "application/yaml" => RequestBody.ParseYaml(bytes),
                    RequestBody.ProtobufMediaType => RequestBody.ParseProtobuf(bytes),
                    _ => RequestBody.ParseJson(bytes, null),
                }) as JsonObject
                    ?? throw new ApiException(Statuses.BadRequest("the DeleteOptions body must be a JSON object"));
                if (body.GetString("kind") is { } kind && kind != "DeleteOptions")
                {
                    throw new ApiException(Statuses.BadRequest($"the body of a delete must be DeleteOptions, not {kind}"));
                }

                grace = body.GetLong("gracePeriodSeconds");
                policy = body.GetString("propagationPolicy");
                uid = body.GetString("preconditions.uid");
                rv = body.GetString("preconditions.resourceVersion");
                dryRun = (body["dryRun"] as JsonArray)?.Any(v => v?.ToString() == "All") == true;
                if (body["orphanDependents"] is JsonValue orphan && policy is null)
                {
                    policy = orphan.GetValueKind() == System.Text.Json.JsonValueKind.True ? "Orphan" : "Background";
                }
            }
        }

        if (query["gracePeriodSeconds"].ToString() is { Length: > 0 } g)
        {
            grace = long.TryParse(g, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : throw new ApiException(Statuses.BadRequest($"invalid gracePeriodSeconds \"{g}\""));
        }

        if (query["propagationPolicy"].ToString() is { Length: > 0 } p)
        {
            policy = p;
        }

        if (query["orphanDependents"].ToString() is { Length: > 0 } o && policy is null)
        {
            policy = o == "true" ? "Orphan" : "Background";
        }

        if (query["dryRun"].ToString() is { Length: > 0 } d)
        {
            dryRun = d == "All" ? true : throw new ApiException(Statuses.BadRequest($"Invalid dryRun value \"{d}\": supported values: \"All\""));
        }

        if (policy is not null and not ("Orphan" or "Background" or "Foreground"))
        {
            throw new ApiException(new Status
            {
                Message = $"DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                Reason = "Invalid",
                Details = new StatusDetails { Group = "meta.k8s.io", Kind = "DeleteOptions", Causes = [new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{policy}\"", "propagationPolicy")] },
                Code = 422,
            });
        }

        if (grace is < 0)
        {
            grace = 1;
        }

        return new DeleteOptions(grace, policy, uid, rv, dryRun);
    }

}
