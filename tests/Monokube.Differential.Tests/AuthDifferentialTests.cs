using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Monokube.TestSupport;

namespace Monokube.Differential.Tests;

/// <summary>
/// Authentication and authorization, monokube (emulating 1.26) beside the real kube-apiserver v1.26.1 with the same
/// users, tokens, certificates and RBAC objects: who a credential is, what a SubjectAccessReview grid allows, and
/// what real requests that escalate, impersonate or act as nodes get. Differences must be listed in
/// known-differences.tsv with a reason, and none may be one where monokube allows what kube refuses.
/// </summary>
public sealed partial class AuthDifferentialTests(AuthPair pair) : IClassFixture<AuthPair>
{
    private const string Test = nameof(AuthDifferentialTests);

    [Fact]
    public async Task Credentials_authenticate_as_kube_apiserver_authenticates_them()
    {
        KubernetesBinaries.SkipUnlessPresent();
        var comparisons = new List<Comparison>();
        async Task CompareAsync(string name, Func<Side, Task<string>> outcome) =>
            comparisons.Add(new Comparison("authn: " + name, await outcome(pair.Real), await outcome(pair.Monokube)));

        foreach (var user in AuthPair.Users.Take(2))
        {
            await CompareAsync("static token of " + user, s => WhoAsync(s, "Bearer " + AuthPair.TokenOf(user)));
        }

        await CompareAsync("unknown static token", s => WhoAsync(s, "Bearer not-a-token"));
        await CompareAsync("no credentials", s => WhoAsync(s, null));
        foreach (var (header, form) in new[]
        {
            ("bearer {0}", "lower-case bearer"), ("Bearer  {0}", "two spaces"), ("Bearer {0} junk", "trailing word"), ("Bearer\t{0}", "tab"),
            ("  Bearer {0}  ", "surrounding spaces"), ("Basic {0}", "basic scheme"), ("Bearer", "no token"), ("Bearer ", "empty token"),
        })
        {
            await CompareAsync("Authorization header, " + form, s => WhoAsync(s, string.Format(System.Globalization.CultureInfo.InvariantCulture, header, AuthPair.TokenOf("alice"))));
        }

        foreach (var (id, secret, name, _) in AuthPair.BootstrapTokens)
        {
            await CompareAsync("bootstrap token, " + name, s => WhoAsync(s, $"Bearer {id}.{secret}"));
            await CompareAsync("bootstrap token review, " + name, s => TokenReviewAsync(s, $"{id}.{secret}"));
        }

        await CompareAsync("bootstrap token with a wrong secret", s => WhoAsync(s, "Bearer aaaaaa.fedcba9876543210"));
        await CompareAsync("bootstrap token without a Secret", s => WhoAsync(s, "Bearer zzzzzz.0123456789abcdef"));
        foreach (var (name, certificate) in pair.Certificates)
        {
            await CompareAsync("client certificate, " + name, s => WhoAsync(s, null, certificate));
        }

        await CompareAsync("another CA's certificate with a valid token", s => WhoAsync(s, "Bearer " + AuthPair.TokenOf("bob"), pair.Certificates["another CA, O=system:masters"]));
        await CompareAsync("an expired certificate with a valid token", s => WhoAsync(s, "Bearer " + AuthPair.TokenOf("bob"), pair.Certificates["expired, O=system:masters"]));
        await CompareAsync("a valid certificate with an unknown token", s => WhoAsync(s, "Bearer not-a-token", pair.Certificates["alice in devs"]));

        foreach (var (name, forge) in ForgedTokens())
        {
            await CompareAsync("service-account token, " + name, async s => await WhoAsync(s, "Bearer " + await forge(s)));
        }

        await CompareAsync("token bound to a pod that was deleted", async s =>
        {
            await s.CreateAsync("/api/v1/namespaces/team-b/pods", """{"metadata":{"name":"short-lived"},"spec":{"serviceAccountName":"runner","automountServiceAccountToken":false,"containers":[{"name":"c","image":"busybox"}]}}""");
            var token = await TokenRequestAsync(s, "team-b", "runner", """{"spec":{"boundObjectRef":{"apiVersion":"v1","kind":"Pod","name":"short-lived"}}}""");
            var before = await WhoAsync(s, "Bearer " + token);
            using var admin = s.Admin();
            (await admin.DeleteAsync("/api/v1/namespaces/team-b/pods/short-lived?gracePeriodSeconds=0")).Dispose();
            await Eventually.WaitAsync(async () => (await Side.SendAsync(admin, HttpMethod.Get, "/api/v1/namespaces/team-b/pods/short-lived")).Code == 404, TimeSpan.FromSeconds(30), "the pod to go");
            // kube-apiserver caches a token's successful authentication for 10 s; monokube checks every request.
            // What must agree is that the token stops working.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            string after;
            while ((after = await WhoAsync(s, "Bearer " + token)) != "401 Unauthorized" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }

            return before + " then, within 30 s, " + after;
        });

        KnownDifferences.Check(Test, comparisons, c => Allowed(c.Monokube) && !Allowed(c.Real));
    }

    [Fact]
    public async Task Subject_access_reviews_decide_as_kube_apiserver_decides()
    {
        KubernetesBinaries.SkipUnlessPresent();
        (string User, string[] Groups)[] subjects =
        [
            ("alice", ["devs", "alice-group", "system:authenticated"]),
            ("bob", ["devs", "system:authenticated"]),
            ("carol", ["system:authenticated"]),
            ("dave", ["system:authenticated"]),
            ("erin", ["system:authenticated"]),
            ("frank", ["system:authenticated"]),
            ("grace", ["system:authenticated"]),
            ("system:serviceaccount:team-a:runner", ["system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"]),
            ("system:anonymous", ["system:unauthenticated"]),
            ("system:node:node-a", ["system:nodes", "system:authenticated"]),
            ("system:kube-scheduler", ["system:authenticated"]),
            ("system:kube-controller-manager", ["system:authenticated"]),
            ("system:kube-proxy", ["system:authenticated"]),
            ("system:bootstrap:aaaaaa", ["system:bootstrappers", "system:bootstrappers:workers", "system:authenticated"]),
        ];
        (string Group, string Resource, string Subresource, string Name)[] resources =
        [
            ("", "pods", "", ""), ("", "pods", "", "pod-a"), ("", "pods", "", "pod-b"), ("", "pods", "log", "pod-a"), ("", "pods", "exec", ""),
            ("", "pods", "status", "pod-a"), ("", "pods", "eviction", "pod-a"), ("", "secrets", "", ""), ("", "secrets", "", "s-used"),
            ("", "secrets", "", "s-unused"), ("", "configmaps", "", "c-used"), ("", "configmaps", "", "c-unused"), ("", "configmaps", "", "extension-apiserver-authentication"),
            ("", "nodes", "", ""), ("", "nodes", "", "node-a"), ("", "nodes", "", "node-b"), ("", "nodes", "status", "node-a"), ("", "endpoints", "", "kube-scheduler"),
            ("", "endpoints", "", "kube-controller-manager"), ("", "serviceaccounts", "", "runner"), ("", "serviceaccounts", "token", "runner"),
            ("", "serviceaccounts", "token", "other"), ("", "persistentvolumeclaims", "", ""), ("", "events", "", ""), ("", "services", "", ""),
            ("apps", "deployments", "", ""), ("apps", "deployments", "scale", ""), ("rbac.authorization.k8s.io", "roles", "", ""),
            ("rbac.authorization.k8s.io", "rolebindings", "", ""), ("rbac.authorization.k8s.io", "clusterroles", "", "admin"),
            ("coordination.k8s.io", "leases", "", "kube-scheduler"), ("coordination.k8s.io", "leases", "", "kube-controller-manager"),
            ("coordination.k8s.io", "leases", "", "node-a"), ("coordination.k8s.io", "leases", "", "node-b"), ("storage.k8s.io", "volumeattachments", "", ""),
            ("storage.k8s.io", "csinodes", "", "node-a"), ("storage.k8s.io", "csistoragecapacities", "", ""),
            ("certificates.k8s.io", "certificatesigningrequests", "", ""), ("certificates.k8s.io", "certificatesigningrequests", "nodeclient", ""),
            ("events.k8s.io", "events", "", ""), ("policy", "poddisruptionbudgets", "", ""), ("authentication.k8s.io", "tokenreviews", "", ""),
            ("authorization.k8s.io", "subjectaccessreviews", "", ""), ("", "users", "", "alice"), ("", "groups", "", "devs"),
        ];
        string[] verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "impersonate", "escalate", "bind"];
        string[] namespaces = ["team-a", "kube-system", "kube-node-lease", ""];
        var grid = new List<(string Case, JsonObject Spec)>();
        foreach (var (user, groups) in subjects)
        {
            foreach (var (group, resource, subresource, name) in resources)
            {
                foreach (var verb in verbs)
                {
                    foreach (var ns in namespaces)
                    {
                        grid.Add(($"authz: {user} {verb} {group}/{resource}{(subresource.Length > 0 ? "/" + subresource : "")}{(name.Length > 0 ? " " + name : "")} in \"{ns}\"", new JsonObject
                        {
                            ["user"] = user,
                            ["groups"] = new JsonArray([.. groups.Select(g => (JsonNode)g)]),
                            ["resourceAttributes"] = new JsonObject { ["namespace"] = ns, ["verb"] = verb, ["group"] = group, ["resource"] = resource, ["subresource"] = subresource, ["name"] = name },
                        }));
                    }
                }
            }

            foreach (var path in new[] { "/healthz", "/livez", "/readyz", "/version", "/api", "/apis", "/openapi/v2", "/metrics", "/logs", "/.well-known/openid-configuration", "/openid/v1/jwks" })
            {
                grid.Add(($"authz: {user} get {path}", new JsonObject
                {
                    ["user"] = user,
                    ["groups"] = new JsonArray([.. groups.Select(g => (JsonNode)g)]),
                    ["nonResourceAttributes"] = new JsonObject { ["path"] = path, ["verb"] = "get" },
                }));
            }
        }

        var real = await ReviewAllAsync(pair.Real, grid.Select(g => g.Spec));
        var mono = await ReviewAllAsync(pair.Monokube, grid.Select(g => g.Spec));
        var comparisons = grid.Select((g, i) => new Comparison(g.Case, real[i], mono[i])).ToList();
        Assert.True(comparisons.Count > 25_000, comparisons.Count + " reviews");
        KnownDifferences.Check(Test, comparisons, c => c.Monokube == "allowed" && c.Real != "allowed");
    }

    [Fact]
    public async Task Escalation_impersonation_and_node_requests_are_decided_as_kube_apiserver_decides()
    {
        KubernetesBinaries.SkipUnlessPresent();
        var comparisons = new List<Comparison>();
        const string teamA = "/api/v1/namespaces/team-a";
        const string rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a";
        var node = pair.Certificates["node-a"];
        (string Case, Func<Side, Task<string>> Run)[] requests =
        [
            ("dave creates a Role granting secrets (escalate)", s => AsUserAsync(s, "dave", HttpMethod.Post, rbac + "/roles", """{"metadata":{"name":"dave-secrets"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}""")),
            ("dave binds admin (no bind)", s => AsUserAsync(s, "dave", HttpMethod.Post, rbac + "/rolebindings", Binding("dave-admin", "admin", "dave"))),
            ("erin binds admin (bind on admin)", s => AsUserAsync(s, "erin", HttpMethod.Post, rbac + "/rolebindings", Binding("erin-admin", "admin", "erin"))),
            ("erin binds edit", s => AsUserAsync(s, "erin", HttpMethod.Post, rbac + "/rolebindings", Binding("erin-edit", "edit", "erin"))),
            ("bob (edit) creates a Role", s => AsUserAsync(s, "bob", HttpMethod.Post, rbac + "/roles", """{"metadata":{"name":"bob-role"},"rules":[]}""")),
            ("carol (admin) creates a Role granting secrets", s => AsUserAsync(s, "carol", HttpMethod.Post, rbac + "/roles", """{"metadata":{"name":"carol-secrets"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list"]}]}""")),
            ("carol (admin) creates a Role granting nodes", s => AsUserAsync(s, "carol", HttpMethod.Post, rbac + "/roles", """{"metadata":{"name":"carol-nodes"},"rules":[{"apiGroups":[""],"resources":["nodes"],"verbs":["list"]}]}""")),
            ("carol (admin) binds cluster-admin", s => AsUserAsync(s, "carol", HttpMethod.Post, rbac + "/rolebindings", Binding("carol-cluster-admin", "cluster-admin", "carol"))),
            ("frank as alice lists configmaps", s => AsUserAsync(s, "frank", HttpMethod.Get, teamA + "/configmaps", impersonate: [("Impersonate-User", "alice")])),
            ("frank as alice in devs", s => AsUserAsync(s, "frank", HttpMethod.Get, teamA + "/configmaps", impersonate: [("Impersonate-User", "alice"), ("Impersonate-Group", "devs")])),
            ("frank as alice in ops", s => AsUserAsync(s, "frank", HttpMethod.Get, teamA + "/configmaps", impersonate: [("Impersonate-User", "alice"), ("Impersonate-Group", "ops")])),
            ("frank as bob", s => AsUserAsync(s, "frank", HttpMethod.Get, teamA + "/configmaps", impersonate: [("Impersonate-User", "bob")])),
            ("frank as the runner service account", s => AsUserAsync(s, "frank", HttpMethod.Get, teamA + "/configmaps", impersonate: [("Impersonate-User", "system:serviceaccount:team-a:runner")])),
            ("frank as alice with uid u-1", s => AsUserAsync(s, "frank", HttpMethod.Get, teamA + "/configmaps", impersonate: [("Impersonate-User", "alice"), ("Impersonate-Uid", "u-1")])),
            ("frank impersonates a group without a user", s => AsUserAsync(s, "frank", HttpMethod.Get, teamA + "/configmaps", impersonate: [("Impersonate-Group", "devs")])),
            ("grace impersonates alice", s => AsUserAsync(s, "grace", HttpMethod.Get, teamA + "/configmaps", impersonate: [("Impersonate-User", "alice")])),
            ("node-a reads the Secret its pod uses", s => AsCertAsync(s, node, HttpMethod.Get, teamA + "/secrets/s-used")),
            ("node-a reads a Secret no pod of it uses", s => AsCertAsync(s, node, HttpMethod.Get, teamA + "/secrets/s-unused")),
            ("node-a lists Secrets", s => AsCertAsync(s, node, HttpMethod.Get, teamA + "/secrets")),
            ("node-a reads the ConfigMap its pod uses", s => AsCertAsync(s, node, HttpMethod.Get, teamA + "/configmaps/c-used")),
            ("node-a reads node-b's pod", s => AsCertAsync(s, node, HttpMethod.Get, teamA + "/pods/pod-b")),
            ("node-a lists every pod", s => AsCertAsync(s, node, HttpMethod.Get, "/api/v1/pods")),
            ("node-a reads node-b", s => AsCertAsync(s, node, HttpMethod.Get, "/api/v1/nodes/node-b")),
            ("node-a labels itself", s => AsCertAsync(s, node, HttpMethod.Patch, "/api/v1/nodes/node-a", """{"metadata":{"labels":{"topology.kubernetes.io/zone":"z1"}}}""", "application/merge-patch+json")),
            ("node-a gives itself a role label", s => AsCertAsync(s, node, HttpMethod.Patch, "/api/v1/nodes/node-a", """{"metadata":{"labels":{"node-role.kubernetes.io/control-plane":""}}}""", "application/merge-patch+json")),
            ("node-a taints itself", s => AsCertAsync(s, node, HttpMethod.Patch, "/api/v1/nodes/node-a", """{"spec":{"taints":[{"key":"k","effect":"NoSchedule"}]}}""", "application/merge-patch+json")),
            ("node-a sets its own ownerReferences", s => AsCertAsync(s, node, HttpMethod.Patch, "/api/v1/nodes/node-a", """{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"node-b","uid":"00000000-0000-0000-0000-000000000001"}]}}""", "application/merge-patch+json")),
            ("node-a labels node-b", s => AsCertAsync(s, node, HttpMethod.Patch, "/api/v1/nodes/node-b", """{"metadata":{"labels":{"a":"b"}}}""", "application/merge-patch+json")),
            ("node-a creates a plain pod", s => AsCertAsync(s, node, HttpMethod.Post, teamA + "/pods", """{"metadata":{"name":"plain"},"spec":{"nodeName":"node-a","containers":[{"name":"c","image":"busybox"}]}}""")),
            ("node-a creates a mirror pod with a token projection", async s => await AsCertAsync(s, node, HttpMethod.Post, teamA + "/pods", await MirrorPodAsync(s, "mirror-token", """{"name":"t","projected":{"sources":[{"serviceAccountToken":{"path":"t"}}]}}"""))),
            ("node-a creates a mirror pod with a Secret", async s => await AsCertAsync(s, node, HttpMethod.Post, teamA + "/pods", await MirrorPodAsync(s, "mirror-secret", """{"name":"s","secret":{"secretName":"s-used"}}"""))),
            ("node-a creates a mirror pod", async s => await AsCertAsync(s, node, HttpMethod.Post, teamA + "/pods", await MirrorPodAsync(s, "mirror-plain", null))),
            ("node-a takes its lease", s => AsCertAsync(s, node, HttpMethod.Post, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", """{"metadata":{"name":"node-a"},"spec":{"holderIdentity":"node-a"}}""")),
            ("node-a takes node-b's lease", s => AsCertAsync(s, node, HttpMethod.Post, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", """{"metadata":{"name":"node-b"},"spec":{"holderIdentity":"node-a"}}""")),
            ("node-a asks a token for its pod's account", async s => await AsCertAsync(s, node, HttpMethod.Post, teamA + "/serviceaccounts/runner/token", await BoundToAsync(s, "pod-a", null))),
            ("node-a asks a token for its pod's account and another audience", async s => await AsCertAsync(s, node, HttpMethod.Post, teamA + "/serviceaccounts/runner/token", await BoundToAsync(s, "pod-a", "not-in-the-pod"))),
            ("node-a asks a token for node-b's pod's account", async s => await AsCertAsync(s, node, HttpMethod.Post, teamA + "/serviceaccounts/other/token", await BoundToAsync(s, "pod-b", null))),
            ("node-a asks an unbound token", s => AsCertAsync(s, node, HttpMethod.Post, teamA + "/serviceaccounts/runner/token", "{}")),
            ("a token bound to a pod of another account", async s => await AsAdminAsync(s, HttpMethod.Post, teamA + "/serviceaccounts/other/token", await BoundToAsync(s, "pod-a", null))),
            ("a token bound to a pod with a wrong uid", s => AsAdminAsync(s, HttpMethod.Post, teamA + "/serviceaccounts/runner/token", """{"spec":{"boundObjectRef":{"apiVersion":"v1","kind":"Pod","name":"pod-a","uid":"00000000-0000-0000-0000-000000000002"}}}""")),
            ("a token bound to a ConfigMap", s => AsAdminAsync(s, HttpMethod.Post, teamA + "/serviceaccounts/runner/token", """{"spec":{"boundObjectRef":{"apiVersion":"v1","kind":"ConfigMap","name":"c-used"}}}""")),
            ("a token bound to a Node", s => AsAdminAsync(s, HttpMethod.Post, teamA + "/serviceaccounts/runner/token", """{"spec":{"boundObjectRef":{"apiVersion":"v1","kind":"Node","name":"node-a"}}}""")),
            ("a token for 5 minutes", s => AsAdminAsync(s, HttpMethod.Post, teamA + "/serviceaccounts/runner/token", """{"spec":{"expirationSeconds":300}}""")),
            ("bob creates a pod of a service account that does not exist", s => AsUserAsync(s, "bob", HttpMethod.Post, teamA + "/pods", """{"metadata":{"name":"ghost-account"},"spec":{"serviceAccountName":"ghost","containers":[{"name":"c","image":"busybox"}]}}""")),
            ("bob creates a pod of the runner service account", s => AsUserAsync(s, "bob", HttpMethod.Post, teamA + "/pods", """{"metadata":{"name":"runner-pod"},"spec":{"serviceAccountName":"runner","automountServiceAccountToken":false,"containers":[{"name":"c","image":"busybox"}]}}""")),
            ("an Event about a Node in kube-system without eventTime", s => AsAdminAsync(s, HttpMethod.Post, "/api/v1/namespaces/kube-system/events", """{"metadata":{"name":"e1"},"involvedObject":{"kind":"Node","name":"node-a"},"reason":"R"}""")),
            ("an Event about a Node in default without eventTime", s => AsAdminAsync(s, HttpMethod.Post, "/api/v1/namespaces/default/events", """{"metadata":{"name":"e2"},"involvedObject":{"kind":"Node","name":"node-a"},"reason":"R"}""")),
        ];
        foreach (var (name, run) in requests)
        {
            comparisons.Add(new Comparison("request: " + name, await run(pair.Real), await run(pair.Monokube)));
        }

        KnownDifferences.Check(Test, comparisons, c => Allowed(c.Monokube) && !Allowed(c.Real));
    }

    private static bool Allowed(string outcome) => outcome.StartsWith('2') || outcome.Contains("authenticated as", StringComparison.Ordinal);

    // Who a request is: "200" for a user that may list team-a's configmaps... in the words kube answers with.
    private static async Task<string> WhoAsync(Side side, string? authorization, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        using var http = side.Client(certificate: certificate);
        var (code, body, response) = await Side.SendAsync(http, HttpMethod.Get, "/api/v1/namespaces/kube-system/secrets", change: r =>
        {
            if (authorization is not null)
            {
                r.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
        });
        var warning = response.Headers.TryGetValues("Warning", out var warnings) ? " warning: " + string.Join(" | ", warnings) : "";
        response.Dispose();
        return code switch
        {
            200 => "200 (may read kube-system secrets)" + warning,
            403 => "403 as " + UserIn(body["message"]?.ToString() ?? "") + warning,
            _ => code + " " + body["reason"] + warning,
        };
    }

    private static async Task<string> TokenReviewAsync(Side side, string token)
    {
        using var admin = side.Admin();
        var (code, body, response) = await Side.SendAsync(admin, HttpMethod.Post, "/apis/authentication.k8s.io/v1/tokenreviews",
            new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenReview", ["spec"] = new JsonObject { ["token"] = token } }.ToJsonString());
        response.Dispose();
        var status = body["status"] as JsonObject;
        return code != 201 ? code.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : status?["authenticated"]?.GetValue<bool>() == true
                ? $"authenticated as {status["user"]?["username"]} uid={status["user"]?["uid"]} groups={status["user"]?["groups"]?.ToJsonString()}"
                : "not authenticated";
    }

    private static string UserIn(string message) => UserPattern().Match(message) is { Success: true } m ? m.Groups[1].Value : message;

    [GeneratedRegex("User \"([^\"]*)\"")]
    private static partial Regex UserPattern();

    private static async Task<List<string>> ReviewAllAsync(Side side, IEnumerable<JsonObject> specs)
    {
        using var admin = side.Admin();
        var outcomes = new List<string>();
        foreach (var chunk in specs.Chunk(32))
        {
            outcomes.AddRange(await Task.WhenAll(chunk.Select(async spec =>
            {
                var review = new JsonObject { ["apiVersion"] = "authorization.k8s.io/v1", ["kind"] = "SubjectAccessReview", ["spec"] = spec.DeepClone() };
                var (code, body, response) = await Side.SendAsync(admin, HttpMethod.Post, "/apis/authorization.k8s.io/v1/subjectaccessreviews", review.ToJsonString());
                response.Dispose();
                return code != 201 ? "error " + code : body["status"]?["allowed"]?.GetValue<bool>() == true ? "allowed" : "denied";
            })));
        }

        return outcomes;
    }

    private static Task<string> AsUserAsync(Side side, string user, HttpMethod method, string path, string? body = null, (string Name, string Value)[]? impersonate = null) =>
        RequestAsync(side.Client(AuthPair.TokenOf(user)), method, path, body, "application/json", impersonate);

    private static Task<string> AsCertAsync(Side side, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, HttpMethod method, string path, string? body = null, string contentType = "application/json") =>
        RequestAsync(side.Client(certificate: certificate), method, path, body, contentType, null);

    private static Task<string> AsAdminAsync(Side side, HttpMethod method, string path, string? body = null) =>
        RequestAsync(side.Admin(), method, path, body, "application/json", null);

    // The status code, and for a refusal kube's reason and message (uids and names normalized).
    private static async Task<string> RequestAsync(HttpClient http, HttpMethod method, string path, string? body, string contentType, (string Name, string Value)[]? headers)
    {
        using (http)
        {
            var (code, answer, response) = await Side.SendAsync(http, method, path, body, contentType, r =>
            {
                foreach (var (name, value) in headers ?? [])
                {
                    r.Headers.TryAddWithoutValidation(name, value);
                }
            });
            response.Dispose();
            if (code < 300)
            {
                return code + (answer["metadata"]?["name"] is { } name ? " " + name : "");
            }

            var message = answer["message"]?.ToString() ?? answer["text"]?.ToString() ?? "";
            return $"{code} {answer["reason"]}: {Uids().Replace(message, "<uid>").TrimEnd()}";
        }
    }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uids();

    private static string Binding(string name, string role, string user) =>
        $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{{role}}"},"subjects":[{"kind":"User","name":"{{user}}"}]}""";

    private static async Task<string> MirrorPodAsync(Side side, string name, string? volume)
    {
        using var admin = side.Admin();
        var (_, node, response) = await Side.SendAsync(admin, HttpMethod.Get, "/api/v1/nodes/node-a");
        response.Dispose();
        var pod = JsonNode.Parse($$"""
            {"metadata":{"name":"{{name}}","annotations":{"kubernetes.io/config.mirror":"x"},
              "ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"node-a","uid":"{{node["metadata"]!["uid"]}}","controller":true}]},
             "spec":{"nodeName":"node-a","containers":[{"name":"c","image":"busybox"}]} }
            """)!;
        if (volume is not null)
        {
            pod["spec"]!["volumes"] = new JsonArray(JsonNode.Parse(volume));
        }

        return pod.ToJsonString();
    }

    private static async Task<string> BoundToAsync(Side side, string pod, string? audience)
    {
        using var admin = side.Admin();
        var (_, stored, response) = await Side.SendAsync(admin, HttpMethod.Get, "/api/v1/namespaces/team-a/pods/" + pod);
        response.Dispose();
        var spec = new JsonObject { ["boundObjectRef"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["name"] = pod, ["uid"] = stored["metadata"]!["uid"]!.ToString() } };
        if (audience is not null)
        {
            spec["audiences"] = new JsonArray(audience);
        }

        return new JsonObject { ["spec"] = spec }.ToJsonString();
    }

    private static async Task<string> TokenRequestAsync(Side side, string ns, string account, string body)
    {
        using var admin = side.Admin();
        var (code, answer, response) = await Side.SendAsync(admin, HttpMethod.Post, $"/api/v1/namespaces/{ns}/serviceaccounts/{account}/token", body);
        response.Dispose();
        return code == 201 ? answer["status"]!["token"]!.ToString() : throw new InvalidOperationException($"{side.Name}: TokenRequest answered {code}: {answer.ToJsonString()}");
    }

    // Service-account tokens, each made on the side it is used on: real ones from TokenRequest, and forged ones signed
    // here with the cluster's key (or another), with the claims changed.
    private IEnumerable<(string Name, Func<Side, Task<string>> Make)> ForgedTokens()
    {
        yield return ("from TokenRequest", s => TokenRequestAsync(s, "team-a", "runner", "{}"));
        yield return ("from TokenRequest for another audience", s => TokenRequestAsync(s, "team-a", "runner", """{"spec":{"audiences":["vault"]}}"""));
        yield return ("from TokenRequest bound to a Secret", s => TokenRequestAsync(s, "team-a", "runner", """{"spec":{"boundObjectRef":{"apiVersion":"v1","kind":"Secret","name":"s-token"}}}"""));
        yield return ("signed well", s => SignAsync(s, _ => { }));
        yield return ("without exp", s => SignAsync(s, c => c.Remove("exp")));
        yield return ("without aud", s => SignAsync(s, c => c.Remove("aud")));
        yield return ("without nbf and iat", s => SignAsync(s, c => { c.Remove("nbf"); c.Remove("iat"); }));
        yield return ("expired 30 s ago", s => SignAsync(s, c => c["exp"] = Now() - 30));
        yield return ("expired 90 s ago", s => SignAsync(s, c => c["exp"] = Now() - 90));
        yield return ("valid from 30 s on", s => SignAsync(s, c => c["nbf"] = Now() + 30));
        yield return ("valid from 90 s on", s => SignAsync(s, c => c["nbf"] = Now() + 90));
        yield return ("issued 90 s from now", s => SignAsync(s, c => c["iat"] = Now() + 90));
        yield return ("of another issuer", s => SignAsync(s, c => c["iss"] = "https://elsewhere.example.com"));
        yield return ("for another audience", s => SignAsync(s, c => c["aud"] = new JsonArray("vault")));
        yield return ("for a service account of another uid", s => SignAsync(s, c => c["kubernetes.io"]!["serviceaccount"]!["uid"] = "00000000-0000-0000-0000-000000000003"));
        yield return ("signed by another key", s => SignAsync(s, _ => { }, RSA.Create(2048)));
        yield return ("with alg none", s => SignAsync(s, _ => { }, algorithm: "none"));
        yield return ("with HS256 keyed by the public key", s => SignAsync(s, _ => { }, algorithm: "HS256"));
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private async Task<string> SignAsync(Side side, Action<JsonObject> change, RSA? key = null, string algorithm = "RS256")
    {
        using var admin = side.Admin();
        var (_, account, response) = await Side.SendAsync(admin, HttpMethod.Get, "/api/v1/namespaces/team-a/serviceaccounts/runner");
        response.Dispose();
        var now = Now();
        var claims = new JsonObject
        {
            ["iss"] = ClusterPki.Issuer,
            ["sub"] = "system:serviceaccount:team-a:runner",
            ["aud"] = new JsonArray(ClusterPki.Issuer),
            ["exp"] = now + 600,
            ["iat"] = now,
            ["nbf"] = now,
            ["kubernetes.io"] = new JsonObject { ["namespace"] = "team-a", ["serviceaccount"] = new JsonObject { ["name"] = "runner", ["uid"] = account["metadata"]!["uid"]!.ToString() } },
        };
        change(claims);
        var signer = key ?? pair.Pki.ServiceAccountKey;
        var keyId = Base64Url(SHA256.HashData(signer.ExportSubjectPublicKeyInfo()));
        var header = Base64Url(Encoding.UTF8.GetBytes($$"""{"alg":"{{algorithm}}","kid":"{{keyId}}"}"""));
        var input = header + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = algorithm switch
        {
            "none" => [],
            "HS256" => HMACSHA256.HashData(Encoding.ASCII.GetBytes(pair.Pki.ServiceAccountKey.ExportSubjectPublicKeyInfoPem()), Encoding.ASCII.GetBytes(input)),
            _ => signer.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        };
        if (key is not null)
        {
            key.Dispose();
        }

        return input + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
