using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Caching;
using Monokube.ApiServer.Security.Authentication;
using Monokube.ApiServer.Security.Authorization;
using Monokube.ApiServer.Security.Pki;
using Monokube.Storage;

namespace Monokube.ApiServer.Security;

/// <summary>
/// Everything security needs at run time, built from the flags: certificates, the authenticator chain, the
/// authorizer chain (with its RBAC and node caches), and the service-account token issuer.
/// </summary>
public sealed class SecurityContext : IAsyncDisposable
{
    private readonly List<StoreInformer> _informers;
    private readonly bool _ownsPki;

    private SecurityContext(ServingPki? pki, RequestAuthenticator authenticator, AuthorizerChain authorizer, RbacAuthorizer rbac, ServiceAccountTokens tokens, List<StoreInformer> informers, bool ownsPki)
    {
        Pki = pki;
        _ownsPki = ownsPki;
        Authenticator = authenticator;
        Authorizer = authorizer;
        Rbac = rbac;
        Tokens = tokens;
        _informers = informers;
    }

    /// <summary>Null when serving plain HTTP.</summary>
    public ServingPki? Pki { get; }

    public RequestAuthenticator Authenticator { get; }

    public AuthorizerChain Authorizer { get; }

    public RbacAuthorizer Rbac { get; }

    public ServiceAccountTokens Tokens { get; }

    /// <summary>A random bearer token, valid for this process's lifetime, that the server's own clients (its controllers) use.</summary>
    public string LoopbackToken { get; private init; } = "";

    /// <summary>What a kubelet may do at all: the served release's system:node rules.</summary>
    public IReadOnlyList<PolicyRule> NodeRules { get; private init; } = [];

    /// <summary>The admission plugins of the secure port (none when serving plain HTTP).</summary>
    public Admission.AdmissionChain Admission { get; private init; } = Monokube.ApiServer.Admission.AdmissionChain.None;

    public static SecurityContext Create(Hosting.ApiServerOptions serverOptions, IObjectStore store, Registry.ResourceRegistry registry, TimeProvider time, ILoggerFactory loggers)
    {
        var options = serverOptions.Security;
        var insecure = serverOptions.InsecureHttp;
        var pki = insecure ? null : options.LoadedPki ?? ServingPki.Load(options, serverOptions.BindAddress, serverOptions.ServiceClusterIpRange, time.GetUtcNow());
        Lazy<RSA> signing;
        Func<IReadOnlyList<RSA>> verification;
        if (pki is not null)
        {
            signing = new Lazy<RSA>(pki.ServiceAccountSigningKey);
            verification = () => pki.ServiceAccountVerificationKeys;
        }
        else
        {
            // Plain HTTP has no cert dir: tokens are signed with the given key or one that lives as long as the
            // process, generated when first needed.
            if (options.ServiceAccountSigningKeyFile is { } file)
            {
                var key = RSA.Create();
                key.ImportFromPem(File.ReadAllText(file));
                signing = new Lazy<RSA>(key);
            }
            else
            {
                signing = new Lazy<RSA>(() => RSA.Create(2048));
            }
            verification = () => [signing.Value];
        }

        var tokens = new ServiceAccountTokens(signing, verification, options.ServiceAccountIssuer, options.ApiAudiences);
        var logger = loggers.CreateLogger("Monokube.Security");
        var informers = new List<StoreInformer>();
        StoreInformer Inform(string prefix, Func<JsonObject, JsonObject>? project = null)
        {
            var informer = new StoreInformer(store, prefix, logger, project);
            informers.Add(informer);
            informer.Start();
            return informer;
        }

        var rbac = new RbacAuthorizer(Inform("/clusterroles/"), Inform("/clusterrolebindings/"), Inform("/roles/"), Inform("/rolebindings/"));
        var chain = new List<IAuthorizer> { new PrivilegedGroupAuthorizer() };
        foreach (var mode in options.AuthorizationModes)
        {
            chain.Add(mode switch
            {
                "RBAC" => rbac,
                "Node" => new NodeAuthorizer(Inform("/pods/", NodeAuthorizer.WhatItReadsOfAPod), Inform("/persistentvolumeclaims/"), Inform("/volumeattachments/"), serverOptions.Release),
                "AlwaysAllow" => new AlwaysAllowAuthorizer(),
                _ => throw new ArgumentException($"unsupported authorization mode \"{mode}\" (Node, RBAC and AlwaysAllow are supported)"),
            });
        }

        var tokenFile = options.TokenAuthFile is { } path ? new TokenFileAuthenticator(path) : null;
        var loopbackToken = Convert.ToBase64String(KernelRandom.GetBytes(32));
        var requestHeader = pki is not null && options.RequestHeader.ClientCaFile is not null ? new RequestHeaderAuthenticator(options.RequestHeader, pki.ClientTrust) : null;
        var authenticator = new RequestAuthenticator(
            store, time, tokenFile, options.EnableBootstrapTokenAuth, tokens, options.AnonymousAuth, loopbackToken, requestHeader,
            pki?.ClientTrust);
        var authorizer = new AuthorizerChain(chain);

        // Plain HTTP authenticates nobody (every request is system:masters), so it has nothing to restrict.
        var admission = insecure ? Monokube.ApiServer.Admission.AdmissionChain.None : new Monokube.ApiServer.Admission.AdmissionChain(
        [
            .. options.AuthorizationModes.Contains("RBAC") ? [new RbacEscalationCheck(authorizer, rbac)] : Array.Empty<Monokube.ApiServer.Admission.IAdmissionPlugin>(),
            .. serverOptions.AdmissionPlugins.Contains(Monokube.ApiServer.Admission.AdmissionPlugins.NodeRestriction)
                ? [new Monokube.ApiServer.Admission.NodeRestriction(store, registry, authorizer, serverOptions.Release)]
                : Array.Empty<Monokube.ApiServer.Admission.IAdmissionPlugin>(),
        ]);
        return new SecurityContext(pki, authenticator, authorizer, rbac, tokens, informers, ownsPki: options.LoadedPki is null) { Admission = admission, LoopbackToken = loopbackToken, NodeRules = BootstrapPolicy.For(serverOptions.Release).RulesOf("system:node") };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var informer in _informers)
        {
            await informer.DisposeAsync();
        }

        // A PKI loaded by the embedder is the embedder's to dispose (it may serve other servers).
        if (_ownsPki)
        {
            Pki?.Dispose();
        }
    }
}
