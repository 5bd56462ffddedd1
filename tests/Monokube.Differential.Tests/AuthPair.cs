using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Differential.Tests;

/// <summary>
/// The server pair with the users, tokens, RBAC objects, nodes and pods of the authentication and authorization
/// comparison, created the same way on both servers.
/// </summary>
public sealed class AuthPair : ServerPair
{
    public static readonly string[] Users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"];

    /// <summary>Bootstrap tokens, by what makes each one what it is.</summary>
    public static readonly (string Id, string Secret, string Case, Dictionary<string, string> Data)[] BootstrapTokens =
    [
        ("aaaaaa", "0123456789abcdef", "valid", new() { ["auth-extra-groups"] = "system:bootstrappers:workers" }),
        ("bbbbbb", "0123456789abcdef", "extra group system:masters", new() { ["auth-extra-groups"] = "system:masters" }),
        ("cccccc", "0123456789abcdef", "extra group system:nodes", new() { ["auth-extra-groups"] = "system:nodes" }),
        ("dddddd", "0123456789abcdef", "extra group system:bootstrappers", new() { ["auth-extra-groups"] = "system:bootstrappers" }),
        ("eeeeee", "0123456789abcdef", "extra group system:bootstrappers: (empty suffix)", new() { ["auth-extra-groups"] = "system:bootstrappers:" }),
        ("ffffff", "0123456789abcdef", "expired", new() { ["expiration"] = "2020-01-01T00:00:00Z" }),
        ("gggggg", "0123456789abcdef", "not for authentication", new() { ["usage-bootstrap-authentication"] = "false" }),
        ("hhhhhh", "0123456789abcdef", "unparseable expiration", new() { ["expiration"] = "tomorrow" }),
        ("iiiiii", "0123456789abcdef", "two sorted extra groups", new() { ["auth-extra-groups"] = "system:bootstrappers:z,system:bootstrappers:a" }),
    ];

    public static string TokenOf(string user) => "token-" + user;

    protected override IEnumerable<string> Tokens =>
        Users.Select(u => $"{TokenOf(u)},{u},uid-{u},\"devs,{u}-group\"");

    /// <summary>Client certificates of the cluster CA (and of another, and in other shapes), by case.</summary>
    public IReadOnlyDictionary<string, X509Certificate2> Certificates { get; private set; } = new Dictionary<string, X509Certificate2>();

    protected override async Task PrepareAsync(Side side)
    {
        if (Certificates.Count == 0)
        {
            using var foreign = ClusterPki.ForeignCa();
            var now = DateTimeOffset.UtcNow;
            Certificates = new Dictionary<string, X509Certificate2>
            {
                ["alice in devs"] = Pki.IssueClient("CN=alice, O=devs"),
                ["node-a"] = Pki.IssueClient("CN=system:node:node-a, O=system:nodes"),
                ["node-b"] = Pki.IssueClient("CN=system:node:node-b, O=system:nodes"),
                ["no common name, O=system:masters"] = Pki.IssueClient("O=system:masters"),
                ["another CA, O=system:masters"] = Pki.IssueClient("CN=mallory, O=system:masters", foreign),
                ["expired, O=system:masters"] = Pki.IssueClient("CN=old, O=system:masters", notBefore: now.AddDays(-3), notAfter: now.AddDays(-1)),
                ["not yet valid, O=system:masters"] = Pki.IssueClient("CN=early, O=system:masters", notBefore: now.AddDays(1), notAfter: now.AddDays(3)),
                ["server auth only, O=system:masters"] = Pki.IssueClient("CN=server, O=system:masters", usage: "1.3.6.1.5.5.7.3.1"),
            };
        }

        foreach (var ns in new[] { "team-a", "team-b" })
        {
            await side.CreateAsync("/api/v1/namespaces", $$"""{"metadata":{"name":"{{ns}}"} }""");
            await side.CreateAsync($"/api/v1/namespaces/{ns}/serviceaccounts", """{"metadata":{"name":"runner"}}""");
            await side.CreateAsync($"/api/v1/namespaces/{ns}/serviceaccounts", """{"metadata":{"name":"other"}}""");
        }

        const string rbac = "/apis/rbac.authorization.k8s.io/v1";
        await RoleBindingAsync(side, "alice-view", "ClusterRole", "view", """{"kind":"User","name":"alice"}""");
        await RoleBindingAsync(side, "bob-edit", "ClusterRole", "edit", """{"kind":"User","name":"bob"}""");
        await RoleBindingAsync(side, "carol-admin", "ClusterRole", "admin", """{"kind":"User","name":"carol"}""");
        await RoleBindingAsync(side, "runner-view", "ClusterRole", "view", """{"kind":"ServiceAccount","name":"runner","namespace":"team-a"}""");
        await side.CreateAsync(rbac + "/namespaces/team-a/roles", """
            {"metadata":{"name":"role-manager"},"rules":[
              {"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles","rolebindings"],"verbs":["get","list","create","update"]},
              {"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],"verbs":["escalate"]}]}
            """);
        await RoleBindingAsync(side, "dave-role-manager", "Role", "role-manager", """{"kind":"User","name":"dave"}""");
        await side.CreateAsync(rbac + "/namespaces/team-a/roles", """
            {"metadata":{"name":"binder"},"rules":[
              {"apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings"],"verbs":["create","get"]},
              {"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["bind"],"resourceNames":["admin"]}]}
            """);
        await RoleBindingAsync(side, "erin-binder", "Role", "binder", """{"kind":"User","name":"erin"}""");
        await side.CreateAsync(rbac + "/clusterroles", """
            {"metadata":{"name":"impersonator"},"rules":[
              {"apiGroups":[""],"resources":["users"],"verbs":["impersonate"],"resourceNames":["alice"]},
              {"apiGroups":[""],"resources":["groups"],"verbs":["impersonate"],"resourceNames":["devs"]},
              {"apiGroups":[""],"resources":["serviceaccounts"],"verbs":["impersonate"]},
              {"apiGroups":["authentication.k8s.io"],"resources":["uids"],"verbs":["impersonate"],"resourceNames":["u-1"]}]}
            """);
        await side.CreateAsync(rbac + "/clusterrolebindings", """
            {"metadata":{"name":"frank-impersonator"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"impersonator"},"subjects":[{"kind":"User","name":"frank"}]}
            """);
        await side.CreateAsync(rbac + "/clusterrolebindings", """
            {"metadata":{"name":"bootstrappers"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:node-bootstrapper"},"subjects":[{"kind":"Group","name":"system:bootstrappers"}]}
            """);

        foreach (var (id, secret, _, data) in BootstrapTokens)
        {
            var stringData = new JsonObject { ["token-id"] = id, ["token-secret"] = secret, ["usage-bootstrap-authentication"] = "true" };
            foreach (var (key, value) in data)
            {
                stringData[key] = value;
            }

            await side.CreateAsync("/api/v1/namespaces/kube-system/secrets", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "bootstrap-token-" + id },
                ["type"] = "bootstrap.kubernetes.io/token",
                ["stringData"] = stringData,
            }.ToJsonString());
        }

        foreach (var node in new[] { "node-a", "node-b" })
        {
            await side.CreateAsync("/api/v1/nodes", $$"""{"metadata":{"name":"{{node}}","labels":{"kubernetes.io/hostname":"{{node}}"} } }""");
        }

        foreach (var name in new[] { "s-used", "s-unused", "s-token" })
        {
            await side.CreateAsync("/api/v1/namespaces/team-a/secrets", $$"""{"metadata":{"name":"{{name}}"},"stringData":{"k":"v"} }""");
        }

        foreach (var name in new[] { "c-used", "c-unused" })
        {
            await side.CreateAsync("/api/v1/namespaces/team-a/configmaps", $$"""{"metadata":{"name":"{{name}}"},"data":{"k":"v"} }""");
        }

        await side.CreateAsync("/api/v1/namespaces/team-a/pods", """
            {"metadata":{"name":"pod-a"},"spec":{"nodeName":"node-a","serviceAccountName":"runner","automountServiceAccountToken":false,
              "containers":[{"name":"c","image":"busybox","env":[{"name":"K","valueFrom":{"configMapKeyRef":{"name":"c-used","key":"k"}}}]}],
              "volumes":[{"name":"s","secret":{"secretName":"s-used"}},
                         {"name":"t","projected":{"sources":[{"serviceAccountToken":{"path":"t","audience":"vault"}}]}}]}}
            """);
        await side.CreateAsync("/api/v1/namespaces/team-a/pods", """
            {"metadata":{"name":"pod-b"},"spec":{"nodeName":"node-b","serviceAccountName":"other","automountServiceAccountToken":false,"containers":[{"name":"c","image":"busybox"}]}}
            """);
    }

    private static Task RoleBindingAsync(Side side, string name, string roleKind, string role, string subject) =>
        side.CreateAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings",
            $$"""{"metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"{{roleKind}}","name":"{{role}}"},"subjects":[{{subject}}]}""");
}
