using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// What is being asked: who, which verb, on which resource or non-resource path (authorizer.Attributes); for a list
/// or watch, the raw field selector.
/// </summary>
public sealed record AuthorizationAttributes(
    UserInfo User,
    string Verb,
    bool IsResourceRequest,
    string Path = "",
    string ApiGroup = "",
    string ApiVersion = "",
    string Resource = "",
    string Subresource = "",
    string Namespace = "",
    string Name = "",
    string FieldSelector = "")
{
    /// <summary>kube-apiserver's wording of a denial: `User "u" cannot get resource "pods" in API group "" in the namespace "ns"`.</summary>
    public string DenialMessage()
    {
        if (!IsResourceRequest)
        {
            return $"User \"{User.Name}\" cannot {Verb} path \"{Path}\"";
        }

        var resource = Subresource.Length > 0 ? $"{Resource}/{Subresource}" : Resource;
        var scope = Namespace.Length > 0 ? $"in the namespace \"{Namespace}\"" : "at the cluster scope";
        return $"User \"{User.Name}\" cannot {Verb} resource \"{resource}\" in API group \"{ApiGroup}\" {scope}";
    }
}
