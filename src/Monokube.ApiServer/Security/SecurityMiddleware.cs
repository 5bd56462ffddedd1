using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Requests;
using Monokube.ApiServer.Security.Authentication;
using Monokube.ApiServer.Security.Authorization;

namespace Monokube.ApiServer.Security;

/// <summary>
/// Authentication, impersonation and authorization in front of every endpoint, as kube-apiserver's filter chain:
/// 401 for credentials that do not authenticate, 403 (with kube's wording) for what the user may not do.
/// </summary>
public sealed partial class SecurityMiddleware(RequestAuthenticator authenticator, AuthorizerChain authorizer, ILogger<SecurityMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var authentication = await authenticator.AuthenticateAsync(context);
        if (authentication.User is not { } user)
        {
            LogUnauthorized(logger, context.Request.Method, context.Request.Path, authentication.Failure ?? "no credentials");
            await StatusWriter.WriteAsync(context, new Status { Message = "Unauthorized", Reason = "Unauthorized", Code = 401 });
            return;
        }

        var info = RequestInfoParser.Parse(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.Query["watch"].ToString() is "true" or "1");
        if (ImpersonationWithoutUser(context.Request.Headers) is { } requested)
        {
            // kube-apiserver's impersonation filter answers this with an internal error in plain text.
            await WriteInternalErrorAsync(context, $"requested {requested} without impersonating a user");
            return;
        }

        try
        {
            user = await ImpersonateAsync(context, user);
        }
        catch (ApiException e)
        {
            await StatusWriter.WriteAsync(context, e.Status);
            return;
        }

        var attributes = Attributes(user, info, context);
        var (allowed, reason) = await authorizer.AuthorizeAsync(attributes, context.RequestAborted);
        if (!allowed)
        {
            await StatusWriter.WriteAsync(context, Forbidden(attributes, info, reason));
            return;
        }

        RequestUser.Set(context, user);
        await next(context);
    }

    public static AuthorizationAttributes Attributes(UserInfo user, RequestInfo info, HttpContext context)
    {
        if (!info.IsResourceRequest)
        {
            return new AuthorizationAttributes(user, context.Request.Method.ToLowerInvariant(), false, Path: context.Request.Path.Value ?? "/");
        }

        // A list or watch of one object by name (fieldSelector=metadata.name=x) is authorized as that object.
        var name = info.Name ?? "";
        var fieldSelector = info.Verb is "list" or "watch" ? context.Request.Query["fieldSelector"].ToString() : "";
        if (name.Length == 0 && fieldSelector is { Length: > 0 } selector)
        {
            foreach (var term in selector.Split(','))
            {
                var parts = term.Split('=', 2, StringSplitOptions.TrimEntries);
                if (parts.Length == 2 && parts[0] == "metadata.name" && !term.Contains("!=", StringComparison.Ordinal))
                {
                    name = parts[1].TrimStart('=');
                }
            }
        }

        // A namespace is authorized in itself, as kube-apiserver does.
        var ns = info.Resource == "namespaces" ? info.Name ?? "" : info.Namespace ?? "";

        return new AuthorizationAttributes(user, info.Verb, true, context.Request.Path.Value ?? "", info.Group, info.Version, info.Resource, info.Subresource ?? "", ns, name, fieldSelector);
    }

    private static Status Forbidden(AuthorizationAttributes a, RequestInfo info, string reason)
    {
        var suffix = reason.Length > 0 ? ": " + reason : "";
        if (!a.IsResourceRequest)
        {
            return new Status { Message = $"forbidden: {a.DenialMessage()}{suffix}", Reason = "Forbidden", Details = new StatusDetails(), Code = 403 };
        }

        var qualified = a.ApiGroup.Length == 0 ? a.Resource : a.Resource + "." + a.ApiGroup;
        var subject = a.Name.Length > 0 ? $"{qualified} \"{a.Name}\"" : qualified;
        return new Status
        {
            Message = $"{subject} is forbidden: {a.DenialMessage()}{suffix}",
            Reason = "Forbidden",
            Details = new StatusDetails { Name = a.Name.Length > 0 ? a.Name : null, Group = a.ApiGroup.Length > 0 ? a.ApiGroup : null, Kind = a.Resource },
            Code = 403,
        };
    }

    // Impersonate-User / -Uid / -Group / -Extra-*: each needs the "impersonate" verb on what it names.
    private async Task<UserInfo> ImpersonateAsync(HttpContext context, UserInfo user)
    {
        var headers = context.Request.Headers;
        var name = headers["Impersonate-User"].ToString();
        var groups = headers["Impersonate-Group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList();
        var uid = headers["Impersonate-Uid"].ToString();
        var extra = headers.Where(h => h.Key.StartsWith("Impersonate-Extra-", StringComparison.OrdinalIgnoreCase)).ToList();
        if (name.Length == 0)
        {
            return user;
        }

        var checks = new List<AuthorizationAttributes>();
        if (name.StartsWith("system:serviceaccount:", StringComparison.Ordinal) && name.Split(':') is { Length: 4 } sa)
        {
            checks.Add(new AuthorizationAttributes(user, "impersonate", true, ApiGroup: "", Resource: "serviceaccounts", Namespace: sa[2], Name: sa[3]));
        }
        else
        {
            checks.Add(new AuthorizationAttributes(user, "impersonate", true, ApiGroup: "", Resource: "users", Name: name));
        }

        checks.AddRange(groups.Select(g => new AuthorizationAttributes(user, "impersonate", true, ApiGroup: "", Resource: "groups", Name: g)));
        if (uid.Length > 0)
        {
            checks.Add(new AuthorizationAttributes(user, "impersonate", true, ApiGroup: "authentication.k8s.io", Resource: "uids", Name: uid));
        }

        var extras = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var (header, values) in extra)
        {
            var key = Uri.UnescapeDataString(header["Impersonate-Extra-".Length..]).ToLowerInvariant();
            extras[key] = [.. values.Select(v => v ?? "")];
            checks.AddRange(values.Select(v => new AuthorizationAttributes(user, "impersonate", true, ApiGroup: "authentication.k8s.io", Resource: "userextras", Subresource: key, Name: v ?? "")));
        }

        foreach (var check in checks)
        {
            var (allowed, _) = await authorizer.AuthorizeAsync(check, context.RequestAborted);
            if (!allowed)
            {
                var qualified = check.ApiGroup.Length == 0 ? check.Resource : check.Resource + "." + check.ApiGroup;
                throw new ApiException(new Status
                {
                    Message = $"{qualified} \"{check.Name}\" is forbidden: {check.DenialMessage()}",
                    Reason = "Forbidden",
                    Details = new StatusDetails { Name = check.Name, Group = check.ApiGroup.Length > 0 ? check.ApiGroup : null, Kind = check.Resource },
                    Code = 403,
                });
            }
        }

        var impersonated = name.StartsWith("system:serviceaccount:", StringComparison.Ordinal) && name.Split(':') is { Length: 4 } account
            ? new UserInfo(name, uid.Length > 0 ? uid : null, [.. groups, "system:serviceaccounts", "system:serviceaccounts:" + account[2]], extras)
            : new UserInfo(name, uid.Length > 0 ? uid : null, groups, extras);
        return name == UserInfo.Anonymous ? impersonated : impersonated.WithAuthenticatedGroup();
    }

    // Impersonate-Group, -Extra-* or -Uid without Impersonate-User: what was asked for, written as kube-apiserver
    // writes its list of object references ([{Kind Namespace Name UID APIVersion ResourceVersion FieldPath} ...]).
    private static string? ImpersonationWithoutUser(IHeaderDictionary headers)
    {
        if (headers["Impersonate-User"].ToString().Length > 0)
        {
            return null;
        }

        var requested = new List<string>();
        requested.AddRange(headers["Impersonate-Group"].Select(g => Reference("Group", g ?? "", "", "")));
        foreach (var (header, values) in headers.Where(h => h.Key.StartsWith("Impersonate-Extra-", StringComparison.OrdinalIgnoreCase)))
        {
            var key = Uri.UnescapeDataString(header["Impersonate-Extra-".Length..].ToLowerInvariant());
            requested.AddRange(values.Select(v => Reference("UserExtra", v ?? "", "authentication.k8s.io/v1", key)));
        }

        if (headers["Impersonate-Uid"].ToString() is { Length: > 0 } uid)
        {
            requested.Add(Reference("UID", uid, "authentication.k8s.io/v1", ""));
        }

        return requested.Count == 0 ? null : "[" + string.Join(' ', requested) + "]";

        static string Reference(string kind, string name, string apiVersion, string fieldPath) => $"{{{kind}  {name}  {apiVersion}  {fieldPath}}}";
    }

    // Go's http.Error after kube's InternalError: the request URI quoted, <, > and & escaped, plain text.
    private static Task WriteInternalErrorAsync(HttpContext context, string error)
    {
        var uri = context.Request.Path.Value + context.Request.QueryString.Value;
        var message = $"Internal Server Error: {GoQuote(uri)}: {error}".Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        return context.Response.WriteAsync(message + "\n");
    }

    private static string GoQuote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "{Method} {Path}: unauthorized ({Reason})")]
    private static partial void LogUnauthorized(ILogger logger, string method, string path, string reason);
}
