namespace Monokube.ApiServer.Registry;

/// <summary>Which name format a resource's objects must have (apimachinery's validation rules).</summary>
public enum NameRule
{
    /// <summary>RFC 1123 subdomain: lowercase alphanumerics, '-' and '.', at most 253 characters.</summary>
    DnsSubdomain,

    /// <summary>RFC 1123 label: lowercase alphanumerics and '-', at most 63 characters (namespaces).</summary>
    DnsLabel,

    /// <summary>RFC 1035 label: as a DNS label but starting with a letter (services).</summary>
    Dns1035Label,

    /// <summary>Any name that is a valid path segment: not "." or "..", no "/" or "%" (RBAC objects).</summary>
    PathSegment,
}
