using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Security.Pki;

namespace Monokube.ApiServer.Security.Authentication;

/// <summary>
/// Request-header authentication, as kube-apiserver's front-proxy authenticator: a client certificate that chains to
/// the request-header CA (with a CN among the allowed names, when any are given) vouches for the user named in the
/// first non-empty username header, with the groups of every group header and the extra of the prefixed headers
/// (keys lower-cased, then percent-unescaped). The headers it read are removed from the request.
/// </summary>
public sealed class RequestHeaderAuthenticator(RequestHeaderOptions options, ClientCertificateTrust trust)
{
    public AuthenticationResult Authenticate(X509Certificate2 certificate, IHeaderDictionary headers)
    {
        if (!trust.SignedByRequestHeaderCa(certificate))
        {
            return AuthenticationResult.Fail($"the certificate of {certificate.Subject} is not signed by the request-header CA");
        }

        var commonName = CertificateSubject.CommonName(certificate);
        if (options.AllowedNames.Count > 0 && !options.AllowedNames.Contains(commonName, StringComparer.Ordinal))
        {
            return AuthenticationResult.Fail($"x509: subject with cn={commonName} is not in the allowed list");
        }

        var name = options.UsernameHeaders.Select(h => headers[h]).Where(v => v.Count > 0).Select(v => v[0]).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        if (name is null)
        {
            return AuthenticationResult.NotApplicable;
        }

        var groups = options.GroupHeaders.SelectMany(h => headers[h]).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var extraHeaders = new List<string>();
        foreach (var prefix in options.ExtraHeaderPrefixes)
        {
            foreach (var (header, values) in headers)
            {
                if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var key = Uri.UnescapeDataString(header[prefix.Length..].ToLowerInvariant());
                extra[key] = [.. extra.GetValueOrDefault(key, []), .. values.Select(v => v ?? "")];
                extraHeaders.Add(header);
            }
        }

        foreach (var header in options.UsernameHeaders.Concat(options.GroupHeaders).Concat(extraHeaders))
        {
            headers.Remove(header);
        }

        return AuthenticationResult.Success(new UserInfo(name, null, groups, extra));
    }
}
