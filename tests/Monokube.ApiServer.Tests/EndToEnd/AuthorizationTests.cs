using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// What authenticated users may do: RBAC over roles and bindings (namespaced and cluster-wide, by user and group),
/// `kubectl auth can-i` for several identities, impersonation, and the denials worded as kube-apiserver words them.
/// </summary>
public sealed class AuthorizationTests(SecureApiServerFixture server) : IClassFixture<SecureApiServerFixture>
{
    private async Task<string> NamespaceAsync()
    {
        var ns = server.NewNamespace();
        await server.AdminAsync("create", "namespace", ns);
        return ns;
    }

    private async Task<string> CanIAsync(string kubeconfig, params string[] args)
    {
        var (code, stdout, stderr) = await server.KubectlAsync(kubeconfig, ["auth", "can-i", .. args]);
        // "no" may carry the authorizer's reason: "no - node 'n1' cannot read 'n2', only its own Node object".
        var answer = stdout.Trim().Split(" - ")[0];
        Assert.True(answer is "yes" or "no", $"kubectl auth can-i {string.Join(' ', args)} exited {code}: {stderr}{stdout}");
        Assert.Equal(answer == "yes" ? 0 : 1, code);
        return answer;
    }

    [Fact]
    public async Task A_role_binding_grants_its_verbs_in_its_namespace_only()
    {
        var ns = await NamespaceAsync();
        await server.AdminAsync("create", "role", "pod-reader", "-n", ns, "--verb=get,list,watch", "--resource=pods");
        await server.AdminAsync("create", "rolebinding", "jane-reads", "-n", ns, "--role=pod-reader", "--user=jane-" + ns);
        await server.AdminAsync("create", "configmap", "settings", "-n", ns, "--from-literal=a=b");
        var jane = server.KubeconfigForUser("jane-" + ns, "devs");

        var pods = await server.KubectlOkAsync(jane, "get", "pods", "-n", ns, "-o", "json");
        Assert.Empty(JsonNode.Parse(pods)!["items"]!.AsArray());

        var (code, _, stderr) = await server.KubectlAsync(jane, "get", "configmap", "settings", "-n", ns);
        Assert.NotEqual(0, code);
        Assert.Contains($"Error from server (Forbidden): configmaps \"settings\" is forbidden: User \"jane-{ns}\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"{ns}\"", stderr, StringComparison.Ordinal);

        var (otherCode, _, otherErr) = await server.KubectlAsync(jane, "get", "pods", "-n", "default");
        Assert.NotEqual(0, otherCode);
        Assert.Contains($"pods is forbidden: User \"jane-{ns}\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", otherErr, StringComparison.Ordinal);

        var (createCode, _, createErr) = await server.KubectlAsync(jane, "run", "web", "-n", ns, "--image=nginx");
        Assert.NotEqual(0, createCode);
        Assert.Contains($"cannot create resource \"pods\" in API group \"\" in the namespace \"{ns}\"", createErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resource_names_and_subresources_narrow_a_rule()
    {
        var ns = await NamespaceAsync();
        await server.AdminAsync("create", "configmap", "open", "-n", ns);
        await server.AdminAsync("create", "configmap", "closed", "-n", ns);
        await server.AdminAsync("create", "role", "one-map", "-n", ns, "--verb=get,update", "--resource=configmaps", "--resource-name=open");
        await server.AdminAsync("create", "role", "scaler", "-n", ns, "--verb=get,patch", "--resource=deployments/scale");
        await server.AdminAsync("create", "rolebinding", "b1", "-n", ns, "--role=one-map", "--group=team-" + ns);
        await server.AdminAsync("create", "rolebinding", "b2", "-n", ns, "--role=scaler", "--group=team-" + ns);
        await server.AdminAsync("create", "deployment", "web", "-n", ns, "--image=nginx");
        var member = server.KubeconfigForUser("member", "team-" + ns);

        await server.KubectlOkAsync(member, "get", "configmap", "open", "-n", ns);
        Assert.NotEqual(0, (await server.KubectlAsync(member, "get", "configmap", "closed", "-n", ns)).ExitCode);
        Assert.NotEqual(0, (await server.KubectlAsync(member, "get", "configmaps", "-n", ns)).ExitCode);

        await server.KubectlOkAsync(member, "get", "deployment", "web", "-n", ns, "--subresource=scale");
        await server.KubectlOkAsync(member, "patch", "deployment", "web", "-n", ns, "--subresource=scale", "--type=merge", "-p", "{\"spec\":{\"replicas\":3}}");
        Assert.Equal("3", (await server.AdminAsync("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}")).Trim());
        var (code, _, stderr) = await server.KubectlAsync(member, "get", "deployment", "web", "-n", ns);
        Assert.NotEqual(0, code);
        Assert.Contains("cannot get resource \"deployments\" in API group \"apps\"", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aggregated_cluster_roles_pick_up_rules_from_labelled_roles()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await server.AdminAsync("create", "clusterrole", "widgets-view-" + suffix, "--verb=get,list", "--resource=leases.coordination.k8s.io");
        await server.AdminAsync("label", "clusterrole", "widgets-view-" + suffix, "rbac.example.com/aggregate-to-watcher-" + suffix + "=true");
        await server.AdminAsync("create", "clusterrole", "watcher-" + suffix, "--aggregation-rule=rbac.example.com/aggregate-to-watcher-" + suffix + "=true");
        await server.AdminAsync("create", "clusterrolebinding", "watcher-" + suffix, "--clusterrole=watcher-" + suffix, "--user=watcher-" + suffix);
        var watcher = server.KubeconfigForUser("watcher-" + suffix);

        // The aggregation controller writes the picked rules into the role; the authorizer reads the role's rules.
        await Monokube.TestSupport.Eventually.WaitAsync(async () => await CanIAsync(watcher, "list", "leases.coordination.k8s.io", "-A") == "yes", TimeSpan.FromSeconds(30), "the watcher role to aggregate its rules");
        Assert.Equal("no", await CanIAsync(watcher, "delete", "leases.coordination.k8s.io", "-A"));

        // The built-in view role aggregates the rules labelled for it, as in kube.
        await server.AdminAsync("create", "clusterrolebinding", "viewer-" + suffix, "--clusterrole=view", "--user=viewer-" + suffix);
        var viewer = server.KubeconfigForUser("viewer-" + suffix);
        Assert.Equal("yes", await CanIAsync(viewer, "list", "deployments.apps", "-n", "default"));
        Assert.Equal("no", await CanIAsync(viewer, "get", "secrets", "-n", "default"));
    }

    [Fact]
    public async Task Can_i_answers_for_admin_viewer_node_bootstrapper_and_service_account()
    {
        var ns = await NamespaceAsync();
        await server.AdminAsync("create", "rolebinding", "viewer", "-n", ns, "--clusterrole=view", "--user=viewer");
        await server.AdminAsync("create", "clusterrolebinding", "bootstrappers-" + ns, "--clusterrole=system:node-bootstrapper", "--group=system:bootstrappers");
        await server.AdminAsync("create", "serviceaccount", "robot", "-n", ns);
        await server.AdminAsync("create", "rolebinding", "robot-edit", "-n", ns, "--clusterrole=edit", "--serviceaccount=" + ns + ":robot");

        var admin = server.AdminKubeconfig;
        var viewer = server.KubeconfigForUser("viewer");
        var node = server.KubeconfigForUser("system:node:worker-1", "system:nodes");
        var bootstrapper = server.KubeconfigForUser("system:bootstrap:abcdef", "system:bootstrappers");
        var robot = server.KubeconfigForToken((await server.AdminAsync("create", "token", "robot", "-n", ns)).Trim());

        (string Kubeconfig, string[] Question, string Answer)[] matrix =
        [
            (admin, ["*", "*", "--all-namespaces"], "yes"),
            (admin, ["delete", "nodes"], "yes"),
            (viewer, ["list", "pods", "-n", ns], "yes"),
            (viewer, ["get", "deployments.apps", "-n", ns], "yes"),
            (viewer, ["create", "pods", "-n", ns], "no"),
            (viewer, ["get", "secrets", "-n", ns], "no"),
            (viewer, ["list", "pods", "-n", "default"], "no"),
            (node, ["get", "nodes/worker-1"], "yes"),
            (node, ["get", "nodes/worker-2"], "no"),
            (node, ["list", "nodes"], "no"),
            (node, ["create", "certificatesigningrequests.certificates.k8s.io"], "yes"),
            (node, ["update", "nodes/status"], "yes"),
            (node, ["list", "secrets", "-n", ns], "no"),
            (node, ["delete", "namespaces"], "no"),
            (bootstrapper, ["create", "certificatesigningrequests.certificates.k8s.io"], "yes"),
            (bootstrapper, ["list", "secrets", "-n", "kube-system"], "no"),
            (bootstrapper, ["get", "nodes"], "no"),
            (robot, ["create", "deployments.apps", "-n", ns], "yes"),
            (robot, ["get", "secrets", "-n", ns], "yes"),
            (robot, ["create", "rolebindings.rbac.authorization.k8s.io", "-n", ns], "no"),
            (robot, ["list", "pods", "-n", "kube-system"], "no"),
        ];
        foreach (var (kubeconfig, question, answer) in matrix)
        {
            Assert.True(answer == await CanIAsync(kubeconfig, question), $"can-i {string.Join(' ', question)} for {Path.GetFileName(kubeconfig)}: expected {answer}");
        }

        // Anonymous users may not even ask (as in kube: only system:authenticated has system:basic-user); an admin's
        // SubjectAccessReview answers for them.
        var (anonymousCode, _, anonymousErr) = await server.KubectlAsync(admin, "auth", "can-i", "get", "pods", "--as=system:anonymous", "--as-group=system:unauthenticated");
        Assert.NotEqual(0, anonymousCode);
        Assert.Contains("selfsubjectaccessreviews.authorization.k8s.io is forbidden: User \"system:anonymous\" cannot create resource \"selfsubjectaccessreviews\" in API group \"authorization.k8s.io\" at the cluster scope", anonymousErr, StringComparison.Ordinal);
        using var http = server.AdminHttp();
        foreach (var (attributes, allowed) in new (string, bool)[]
        {
            ("\"nonResourceAttributes\":{\"path\":\"/healthz\",\"verb\":\"get\"}", true),
            ("\"nonResourceAttributes\":{\"path\":\"/version\",\"verb\":\"get\"}", true),
            ("\"nonResourceAttributes\":{\"path\":\"/api\",\"verb\":\"get\"}", false),
            ("\"resourceAttributes\":{\"verb\":\"list\",\"resource\":\"namespaces\"}", false),
        })
        {
            var review = """{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"system:anonymous","groups":["system:unauthenticated"],""" + attributes + "}}";
            using var response = await http.PostAsync("/apis/authorization.k8s.io/v1/subjectaccessreviews", new StringContent(review, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["status"]!;
            Assert.True(allowed == status["allowed"]!.GetValue<bool>(), $"anonymous {attributes}: expected allowed={allowed}");
        }

        var list = await server.KubectlOkAsync(viewer, "auth", "can-i", "--list", "-n", ns);
        var podsRow = list.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(r => r.Length > 0 && r[0] == "pods");
        Assert.Equal("[get list watch]", string.Join(' ', podsRow[^3..]));
        Assert.Contains(list.Split('\n'), l => l.StartsWith("selfsubjectaccessreviews.authorization.k8s.io", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Impersonation_needs_the_impersonate_verb()
    {
        var ns = await NamespaceAsync();
        await server.AdminAsync("create", "rolebinding", "bob-views", "-n", ns, "--clusterrole=view", "--user=bob");

        // The admin may impersonate anyone; the request is then authorized as that user.
        await server.AdminAsync("get", "pods", "-n", ns, "--as=bob");
        var (code, _, stderr) = await server.KubectlAsync(server.AdminKubeconfig, "get", "pods", "-n", "kube-system", "--as=bob");
        Assert.NotEqual(0, code);
        Assert.Contains("User \"bob\" cannot list resource \"pods\" in API group \"\" in the namespace \"kube-system\"", stderr, StringComparison.Ordinal);
        var asGroup = JsonNode.Parse(await server.AdminAsync("auth", "whoami", "--as=bob", "--as-group=auditors", "-o", "json"))!["status"]!["userInfo"]!;
        Assert.Equal("bob", asGroup["username"]!.ToString());
        Assert.Equal(["auditors", "system:authenticated"], asGroup["groups"]!.AsArray().Select(g => g!.ToString()));

        // Alice may impersonate bob only, and no group.
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await server.AdminAsync("create", "clusterrole", "impersonate-bob-" + suffix, "--verb=impersonate", "--resource=users", "--resource-name=bob");
        await server.AdminAsync("create", "clusterrolebinding", "alice-" + suffix, "--clusterrole=impersonate-bob-" + suffix, "--user=alice");
        var alice = server.KubeconfigForUser("alice");
        await server.KubectlOkAsync(alice, "get", "pods", "-n", ns, "--as=bob");

        var (adminCode, _, adminErr) = await server.KubectlAsync(alice, "get", "pods", "-n", ns, "--as=kubernetes-admin");
        Assert.NotEqual(0, adminCode);
        Assert.Contains("users \"kubernetes-admin\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", adminErr, StringComparison.Ordinal);
        var (groupCode, _, groupErr) = await server.KubectlAsync(alice, "get", "pods", "-n", ns, "--as=bob", "--as-group=system:masters");
        Assert.NotEqual(0, groupCode);
        Assert.Contains("groups \"system:masters\" is forbidden: User \"alice\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope", groupErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roles_and_bindings_cannot_grant_more_than_their_author_holds()
    {
        var ns = await NamespaceAsync();
        var dave = "dave-" + ns;
        await server.AdminAsync("create", "role", "delegator", "-n", ns, "--verb=create,update,patch,get", "--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io");
        await server.AdminAsync("create", "role", "pod-getter", "-n", ns, "--verb=get,list", "--resource=pods");
        await server.AdminAsync("create", "rolebinding", "dave-delegates", "-n", ns, "--role=delegator", "--user=" + dave);
        await server.AdminAsync("create", "rolebinding", "dave-gets-pods", "-n", ns, "--role=pod-getter", "--user=" + dave);
        var kubeconfig = server.KubeconfigForUser(dave);

        // What dave holds he may grant.
        await server.KubectlOkAsync(kubeconfig, "create", "role", "pods-too", "-n", ns, "--verb=get", "--resource=pods");
        await server.KubectlOkAsync(kubeconfig, "create", "rolebinding", "eve-gets-pods", "-n", ns, "--role=pod-getter", "--user=eve");

        // What he does not hold he may not.
        var (code, _, stderr) = await server.KubectlAsync(kubeconfig, "create", "role", "secret-reader", "-n", ns, "--verb=get,list", "--resource=secrets,pods");
        Assert.NotEqual(0, code);
        Assert.Contains($$"""
            Error from server (Forbidden): roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "{{dave}}" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
            {APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}
            """, stderr, StringComparison.Ordinal);
        var (bindCode, _, bindErr) = await server.KubectlAsync(kubeconfig, "create", "rolebinding", "dave-admin", "-n", ns, "--clusterrole=admin", "--user=" + dave);
        Assert.NotEqual(0, bindCode);
        Assert.Contains($"rolebindings.rbac.authorization.k8s.io \"dave-admin\" is forbidden: user \"{dave}\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:", bindErr, StringComparison.Ordinal);
        var (missingCode, _, missingErr) = await server.KubectlAsync(kubeconfig, "create", "rolebinding", "to-nothing", "-n", ns, "--role=missing", "--user=eve");
        Assert.NotEqual(0, missingCode);
        Assert.Contains("roles.rbac.authorization.k8s.io \"missing\" not found", missingErr, StringComparison.Ordinal);

        // The bind and escalate verbs lift the check for what they name.
        await server.AdminAsync("create", "role", "may-bind-view", "-n", ns, "--verb=bind", "--resource=clusterroles.rbac.authorization.k8s.io", "--resource-name=view");
        await server.AdminAsync("create", "role", "may-escalate", "-n", ns, "--verb=escalate", "--resource=roles.rbac.authorization.k8s.io");
        await server.AdminAsync("create", "rolebinding", "dave-binds", "-n", ns, "--role=may-bind-view", "--user=" + dave);
        await server.AdminAsync("create", "rolebinding", "dave-escalates", "-n", ns, "--role=may-escalate", "--user=" + dave);
        await server.KubectlOkAsync(kubeconfig, "create", "rolebinding", "eve-views", "-n", ns, "--clusterrole=view", "--user=eve");
        await server.KubectlOkAsync(kubeconfig, "create", "role", "secret-reader", "-n", ns, "--verb=get,list", "--resource=secrets");
        Assert.NotEqual(0, (await server.KubectlAsync(kubeconfig, "create", "rolebinding", "dave-edit", "-n", ns, "--clusterrole=edit", "--user=" + dave)).ExitCode);
    }

    [Fact]
    public async Task A_binding_takes_effect_on_the_next_request()
    {
        var ns = await NamespaceAsync();
        var carol = server.KubeconfigForUser("carol-" + ns);
        Assert.NotEqual(0, (await server.KubectlAsync(carol, "get", "secrets", "-n", ns)).ExitCode);
        await server.AdminAsync("create", "rolebinding", "carol", "-n", ns, "--clusterrole=admin", "--user=carol-" + ns);
        await server.KubectlOkAsync(carol, "get", "secrets", "-n", ns);

        // Revocation reaches the authorizer's cache through a watch, as in kube: soon, not necessarily at once.
        await server.AdminAsync("delete", "rolebinding", "carol", "-n", ns);
        await TestSupport.Eventually.WaitAsync(
            async () => ((await server.KubectlAsync(carol, "get", "secrets", "-n", ns)).ExitCode != 0, true), TimeSpan.FromSeconds(10), "the revoked binding to stop granting");
    }
}
