using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Security;

/// <summary>The authenticated (and possibly impersonated) user of a request, as the security middleware set it.</summary>
public static class RequestUser
{
    private const string Key = "monokube.user";

    /// <summary>The user of plain-HTTP serving, where nothing is authenticated: everything is allowed.</summary>
    public static UserInfo Unauthenticated { get; } = new("system:admin", null, [UserInfo.Masters, UserInfo.AllAuthenticated], new Dictionary<string, IReadOnlyList<string>>());

    public static UserInfo Get(HttpContext context) => context.Items.TryGetValue(Key, out var user) && user is UserInfo info ? info : Unauthenticated;

    public static void Set(HttpContext context, UserInfo user) => context.Items[Key] = user;
}
