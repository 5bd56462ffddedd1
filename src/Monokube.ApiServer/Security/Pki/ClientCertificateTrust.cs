using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Monokube.ApiServer.Security.Pki;

/// <summary>
/// The CAs client certificates may chain to, for client authentication: --client-ca-file (the user is the
/// certificate's subject) and --requestheader-client-ca-file (a front proxy that names the user in headers).
/// Authentication asks which one signed a certificate (the handshake takes any, as kube-apiserver's). Each
/// certificate is checked once per connection (Kestrel hands every request of a connection the same certificate
/// object); its validity period is checked on every request by the authenticator.
/// </summary>
public sealed class ClientCertificateTrust(X509Certificate2Collection clientCas, X509Certificate2Collection requestHeaderCas)
{
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private readonly ConditionalWeakTable<X509Certificate2, Verdict> _verdicts = [];

    public X509Certificate2Collection ClientCas { get; } = clientCas;

    public X509Certificate2Collection RequestHeaderCas { get; } = requestHeaderCas;

    public bool SignedByClientCa(X509Certificate2 certificate) => VerdictFor(certificate).ClientCa;

    public bool SignedByRequestHeaderCa(X509Certificate2 certificate) => VerdictFor(certificate).RequestHeaderCa;

    private Verdict VerdictFor(X509Certificate2 certificate) =>
        _verdicts.GetValue(certificate, c => new Verdict(Chains(c, ClientCas), Chains(c, RequestHeaderCas)));

    private static bool Chains(X509Certificate2 certificate, X509Certificate2Collection roots)
    {
        if (roots.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuth);
        return chain.Build(certificate);
    }

    private sealed record Verdict(bool ClientCa, bool RequestHeaderCa);
}
