namespace Monokube.ApiServer.Security;

/// <summary>The security flags of kube-apiserver that monokube serve honours.</summary>
public sealed class SecurityOptions
{
    /// <summary>--tls-cert-file / --tls-private-key-file; when absent, a CA and serving certificate are generated into <see cref="CertDir"/>.</summary>
    public string? TlsCertFile { get; init; }

    public string? TlsPrivateKeyFile { get; init; }

    /// <summary>
    /// Certificates and keys already loaded (or generated) by the embedder, used instead of the files above and not
    /// disposed by the server: one process that runs many servers (Monokube.Testing) loads them once.
    /// </summary>
    public Pki.ServingPki? LoadedPki { get; init; }

    /// <summary>--cert-dir: where generated certificates and keys live (and are reused from).</summary>
    public string CertDir { get; init; } = ".monokube/certs";

    /// <summary>--client-ca-file: CAs whose client certificates authenticate (CN = user, O = groups).</summary>
    public string? ClientCaFile { get; init; }

    /// <summary>--requestheader-*: request-header authentication of a front proxy.</summary>
    public RequestHeaderOptions RequestHeader { get; init; } = new();

    /// <summary>--advertise-address: an extra address for the serving certificate's SANs.</summary>
    public string? AdvertiseAddress { get; init; }

    /// <summary>--token-auth-file: static bearer tokens (kube-apiserver's CSV format).</summary>
    public string? TokenAuthFile { get; init; }

    /// <summary>--enable-bootstrap-token-auth: bootstrap tokens from kube-system/bootstrap-token-* Secrets.</summary>
    public bool EnableBootstrapTokenAuth { get; init; }

    /// <summary>--service-account-signing-key-file; generated into <see cref="CertDir"/> when absent.</summary>
    public string? ServiceAccountSigningKeyFile { get; init; }

    /// <summary>--service-account-key-file: public (or private) keys that verify service-account tokens.</summary>
    public IReadOnlyList<string> ServiceAccountKeyFiles { get; init; } = [];

    /// <summary>--service-account-issuer: the iss of the tokens monokube issues.</summary>
    public string ServiceAccountIssuer { get; init; } = "https://kubernetes.default.svc.cluster.local";

    /// <summary>--api-audiences: audiences a token must have (default: the issuer).</summary>
    public IReadOnlyList<string> ApiAudiences { get; init; } = [];

    /// <summary>--anonymous-auth: requests without credentials act as system:anonymous.</summary>
    public bool AnonymousAuth { get; init; } = true;

    /// <summary>--authorization-mode: Node, RBAC, AlwaysAllow (in order).</summary>
    public IReadOnlyList<string> AuthorizationModes { get; init; } = ["Node", "RBAC"];

    /// <summary>The cluster DNS domain, for the serving certificate's kubernetes.default.svc.&lt;domain&gt; name.</summary>
    public string ClusterDomain { get; init; } = "cluster.local";

    public IReadOnlyList<string> EffectiveAudiences => ApiAudiences.Count > 0 ? ApiAudiences : [ServiceAccountIssuer];
}
