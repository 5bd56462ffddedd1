namespace Monokube.ApiServer.Security;

/// <summary>
/// kube-apiserver's --requestheader-* flags: a front proxy with a client certificate from <see cref="ClientCaFile"/>
/// (and, when <see cref="AllowedNames"/> is not empty, a CN among them) names the user in request headers.
/// Without a CA file the other settings are ignored, as in kube-apiserver.
/// </summary>
public sealed class RequestHeaderOptions
{
    public string? ClientCaFile { get; init; }

    /// <summary>Common names the front proxy's certificate may have; empty allows any the CA signed.</summary>
    public IReadOnlyList<string> AllowedNames { get; init; } = [];

    /// <summary>Headers to read the user name from, the first that is not empty wins.</summary>
    public IReadOnlyList<string> UsernameHeaders { get; init; } = [];

    /// <summary>Headers whose every value is a group.</summary>
    public IReadOnlyList<string> GroupHeaders { get; init; } = [];

    /// <summary>Header prefixes: "&lt;prefix&gt;&lt;key&gt;: value" adds value to the user's extra[key].</summary>
    public IReadOnlyList<string> ExtraHeaderPrefixes { get; init; } = [];
}
