namespace Monokube.ApiServer.Hosting;

/// <summary>Server-side bounds of watches.</summary>
public sealed class WatchOptions
{
    /// <summary>kube-apiserver's --min-request-timeout: watches without timeoutSeconds end after 1–2× this (randomized).</summary>
    public TimeSpan MinRequestTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How many watches one client (an authenticated user; a remote address when serving plain HTTP) may hold open.</summary>
    public int MaxPerClient { get; init; } = 10_000;

    /// <summary>How often a watch with allowWatchBookmarks gets a BOOKMARK.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);
}
