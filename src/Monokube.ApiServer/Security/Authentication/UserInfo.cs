namespace Monokube.ApiServer.Security.Authentication;

/// <summary>Who made a request, as authenticators and authorizers see it (k8s.io/apiserver user.Info).</summary>
public sealed record UserInfo(string Name, string? Uid, IReadOnlyList<string> Groups, IReadOnlyDictionary<string, IReadOnlyList<string>> Extra)
{
    public const string AllAuthenticated = "system:authenticated";
    public const string AllUnauthenticated = "system:unauthenticated";
    public const string Masters = "system:masters";
    public const string Anonymous = "system:anonymous";

    public static UserInfo AnonymousUser { get; } = new(Anonymous, null, [AllUnauthenticated], new Dictionary<string, IReadOnlyList<string>>());

    /// <summary>The user as every authenticated request sees it: with system:authenticated among its groups.</summary>
    public UserInfo WithAuthenticatedGroup() =>
        Groups.Contains(AllAuthenticated, StringComparer.Ordinal) || Name == Anonymous ? this : this with { Groups = [.. Groups, AllAuthenticated] };

    public bool InGroup(string group) => Groups.Contains(group, StringComparer.Ordinal);
}
