namespace Monokube.ApiServer.Requests;

public static class RequestInfoParser
{
    // Subresources of a namespace: /api/v1/namespaces/{name}/status is the namespace's status, not a resource "status".
    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    public static RequestInfo Parse(string method, string path, bool watchQuery)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.None);
        var nonResource = new RequestInfo { IsResourceRequest = false, Path = path, Verb = method.ToLowerInvariant() };
        if (parts.Length == 0 || parts[0] is not ("api" or "apis"))
        {
            return nonResource;
        }

        var prefix = parts[0];
        int rest;
        string group, version;
        if (prefix == "api")
        {
            if (parts.Length < 2 || parts[1].Length == 0)
            {
                return nonResource with { ApiPrefix = prefix };
            }

            group = "";
            version = parts[1];
            rest = 2;
        }
        else
        {
            if (parts.Length < 3 || parts[1].Length == 0 || parts[2].Length == 0)
            {
                return nonResource with { ApiPrefix = prefix, Group = parts.Length > 1 ? parts[1] : "" };
            }

            group = parts[1];
            version = parts[2];
            rest = 3;
        }

        var remaining = parts[rest..];
        if (remaining.Length == 0 || (remaining.Length == 1 && remaining[0].Length == 0))
        {
            return nonResource with { ApiPrefix = prefix, Group = group, Version = version };
        }

        var watch = watchQuery;
        if (remaining[0] == "watch")
        {
            watch = true;
            remaining = remaining[1..];
        }

        string? ns = null;
        if (remaining.Length > 0 && remaining[0] == "namespaces")
        {
            if (remaining.Length > 1)
            {
                ns = remaining[1];
                if (remaining.Length > 2 && !NamespaceSubresources.Contains(remaining[2]))
                {
                    remaining = remaining[2..];
                }
            }
        }

        var resource = remaining.Length > 0 ? remaining[0] : "";
        var name = remaining.Length > 1 ? remaining[1] : null;
        var subresource = remaining.Length > 2 ? remaining[2] : null;
        var verb = method.ToUpperInvariant() switch
        {
            "GET" or "HEAD" => watch ? "watch" : name is null ? "list" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name is null ? "deletecollection" : "delete",
            _ => method.ToLowerInvariant(),
        };

        return new RequestInfo
        {
            IsResourceRequest = true,
            Path = path,
            Verb = verb,
            ApiPrefix = prefix,
            Group = group,
            Version = version,
            Namespace = ns,
            Resource = resource,
            Name = name,
            Subresource = subresource,
            Rest = remaining.Length > 3 ? remaining[3..] : [],
        };
    }
}
