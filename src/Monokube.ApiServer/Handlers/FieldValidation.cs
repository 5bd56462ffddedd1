using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.Handlers;

/// <summary>
/// The fieldValidation query parameter: Strict refuses unknown and duplicate fields with 400 "strict decoding error",
/// Warn (the default) reports them in Warning headers, Ignore drops them silently. Unknown fields are dropped from
/// built-in objects in every mode, as kube-apiserver's typed decoding drops them.
/// </summary>
public static class FieldValidation
{
    public static void Apply(HttpContext context, ResourceDefinition resource, JsonObject obj, IReadOnlyList<string> duplicates)
    {
        var directive = context.Request.Query["fieldValidation"].ToString() switch
        {
            "" or "Warn" => "Warn",
            "Strict" => "Strict",
            "Ignore" => "Ignore",
            var other => throw new ApiException(Statuses.BadRequest($"fieldValidation must be one of \"Ignore\", \"Warn\" or \"Strict\", not \"{other}\"")),
        };

        var problems = duplicates.Select(d => $"duplicate field \"{d}\"").ToList();
        var unknown = new List<string>();
        if (resource.Schema is { } schema)
        {
            var pruned = SchemaPruner.Prune(obj, schema);

            // A custom resource is decoded without types but for its metadata; its schema's validation answers
            // wrong types elsewhere with 422 Invalid, as kube-apiserver's.
            var typeErrors = resource.IsBuiltinGroup ? pruned.TypeErrors : pruned.TypeErrors.Where(e => e.Path == "metadata" || e.Path.StartsWith("metadata.", StringComparison.Ordinal)).ToList();
            if (typeErrors.Count > 0)
            {
                throw new ApiException(Statuses.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: {typeErrors[0].Message}"));
            }

            unknown = pruned.UnknownFields;
        }

        problems.AddRange(unknown.Select(u => $"unknown field \"{u}\""));
        if (problems.Count == 0 || directive == "Ignore")
        {
            return;
        }

        if (directive == "Strict")
        {
            var prefix = unknown.Count > 0 && duplicates.Count == 0 ? "" : "json: ";
            throw new ApiException(Statuses.BadRequest($"strict decoding error: {string.Join(", ", problems.Select(p => prefix + p))}"));
        }

        foreach (var problem in problems)
        {
            context.Response.Headers.Append("Warning", $"299 - \"{problem.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }
    }
}
