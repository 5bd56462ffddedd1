using System.Security.Cryptography.X509Certificates;

namespace Monokube.ApiServer.Security.Pki;

/// <summary>
/// A certificate subject's common name and organizations as Go's pkix.Name reads them (the last CN, every O in
/// order), which is what kube's authenticators see. .NET's SimpleName falls back to other attributes when there is
/// no CN, and so would name a user kube does not.
/// </summary>
public static class CertificateSubject
{
    public static string CommonName(X509Certificate2 certificate) => Read(certificate).CommonName;

    public static (string CommonName, IReadOnlyList<string> Organizations) Read(X509Certificate2 certificate)
    {
        var name = "";
        var organizations = new List<string>();
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            switch (rdn.GetSingleElementType().Value)
            {
                case "2.5.4.3":
                    name = rdn.GetSingleElementValue() ?? "";
                    break;
                case "2.5.4.10" when rdn.GetSingleElementValue() is { } organization:
                    organizations.Add(organization);
                    break;
            }
        }

        return (name, organizations);
    }
}
