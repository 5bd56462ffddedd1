using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>
/// monokube node --runtime=process against monokube serve: containers whose image is in the image map run as local
/// processes (here /bin/sh), with their env, volumes, probes, restarts and logs, as a kubelet runs them.
/// </summary>
public sealed class ProcessRuntimeTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Containers_run_as_processes_with_env_volumes_probes_restarts_and_logs()
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("admin.kubeconfig");
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"), "--write-kubeconfig", kubeconfig);
        await using var node = LaunchAgent(dir, kubeconfig, "a");
        await WaitForOutputAsync(node, "p1 registered and ready");
        var port = int.Parse(await KubectlOkAsync(kubeconfig, "get", "node", "p1", "-o", "jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(0, port);

        await KubectlOkAsync(kubeconfig, "create", "configmap", "settings", "--from-literal=greeting=hello");
        await KubectlOkAsync(kubeconfig, "create", "secret", "generic", "creds", "--from-literal=password=hunter2");
        await ApplyAsync(dir, kubeconfig, """
            apiVersion: v1
            kind: Pod
            metadata: {name: env}
            spec:
              hostNetwork: true
              nodeName: p1
              initContainers:
              - name: prepare
                image: shell:1
                command: [sh, -c, 'echo prepared > /work/flag']
                volumeMounts: [{name: work, mountPath: /work}]
              containers:
              - name: main
                image: shell:1
                command: [sh, -c, 'echo "NAME=$(NAME) POD=$POD_NAME GREETING=$GREETING"; cat /cfg/greeting; echo; cat /sec/password; echo; cat /work/flag; exec sleep 600']
                env:
                - {name: NAME, value: world}
                - name: POD_NAME
                  valueFrom: {fieldRef: {fieldPath: metadata.name}}
                - name: GREETING
                  valueFrom: {configMapKeyRef: {name: settings, key: greeting}}
                volumeMounts:
                - {name: cfg, mountPath: /cfg}
                - {name: sec, mountPath: /sec}
                - {name: work, mountPath: /work}
                readinessProbe:
                  exec: {command: [test, -f, /cfg/greeting]}
                  periodSeconds: 1
              volumes:
              - {name: cfg, configMap: {name: settings}}
              - {name: sec, secret: {secretName: creds}}
              - {name: work, emptyDir: {}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: crash}
            spec:
              hostNetwork: true
              nodeName: p1
              containers:
              - {name: main, image: shell:1, command: [sh, -c, 'echo crashing; exit 3']}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: job-ok}
            spec:
              hostNetwork: true
              nodeName: p1
              restartPolicy: Never
              containers:
              - {name: main, image: shell:1, command: [sh, -c, 'exit 0']}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: job-failed}
            spec:
              hostNetwork: true
              nodeName: p1
              restartPolicy: Never
              containers:
              - {name: main, image: shell:1, command: [sh, -c, 'exit 1']}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: unhealthy}
            spec:
              hostNetwork: true
              nodeName: p1
              containers:
              - name: main
                image: shell:1
                command: [sh, -c, 'exec sleep 600']
                livenessProbe:
                  exec: {command: [test, -f, /nonexistent/file]}
                  periodSeconds: 1
                  failureThreshold: 1
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: not-host-network}
            spec:
              nodeName: p1
              containers:
              - {name: main, image: shell:1, command: [sh, -c, 'exec sleep 600']}
            """);

        await KubectlOkAsync(kubeconfig, "wait", "--for=condition=Ready", "pod/env", "--timeout=60s");
        // Ready says the probe passed, not that the shell has written every line yet: read until the last one is there.
        var log = await Eventually.WaitAsync(async () =>
        {
            var text = await LogAsync(port, "default", "env", "main");
            return (text.Contains("prepared", StringComparison.Ordinal), text);
        }, TimeSpan.FromSeconds(30), "the env container's last line (prepared) in its log");
        Assert.Contains("NAME=world POD=env GREETING=hello", log, StringComparison.Ordinal);
        Assert.Contains("hunter2", log, StringComparison.Ordinal);
        Assert.Contains("prepared", log, StringComparison.Ordinal);
        Assert.Equal("prepared", (await LogAsync(port, "default", "env", "main", "tailLines=1")).Trim());
        var env = await PodAsync(kubeconfig, "env");
        Assert.Equal("Completed", env["status"]!["initContainerStatuses"]![0]!["state"]!["terminated"]!["reason"]!.ToString());
        Assert.StartsWith("process://", env["status"]!["containerStatuses"]![0]!["containerID"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", env["status"]!["podIP"]!.ToString());

        // Restarted as the policy says: immediately once, then with CrashLoopBackOff; the last run is kept.
        var crash = await WaitForPodAsync(kubeconfig, "crash", p => p["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"]?.ToString() == "CrashLoopBackOff");
        var crashed = crash["status"]!["containerStatuses"]![0]!;
        Assert.True(crashed["restartCount"]!.GetValue<int>() >= 1);
        Assert.Equal(3, crashed["lastState"]!["terminated"]!["exitCode"]!.GetValue<int>());
        Assert.Contains("crashing", await LogAsync(port, "default", "crash", "main", "previous=true"), StringComparison.Ordinal);

        await KubectlOkAsync(kubeconfig, "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/job-ok", "--timeout=60s");
        await KubectlOkAsync(kubeconfig, "wait", "--for=jsonpath={.status.phase}=Failed", "pod/job-failed", "--timeout=60s");
        Assert.Equal(1, (await PodAsync(kubeconfig, "job-failed"))["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!["exitCode"]!.GetValue<int>());

        await WaitForPodAsync(kubeconfig, "unhealthy", p => p["status"]?["containerStatuses"]?[0]?["restartCount"]?.GetValue<int>() >= 1);
        var refused = await WaitForPodAsync(kubeconfig, "not-host-network", p => p["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"]?.ToString() == "CreateContainerError");
        Assert.Contains("host-network pods only", refused["status"]!["containerStatuses"]![0]!["state"]!["waiting"]!["message"]!.ToString(), StringComparison.Ordinal);

        // Deletion stops the process and removes the pod's directory.
        var pid = int.Parse(env["status"]!["containerStatuses"]![0]!["containerID"]!.ToString()["process://".Length..], System.Globalization.CultureInfo.InvariantCulture);
        await KubectlOkAsync(kubeconfig, "delete", "pod", "env", "--timeout=60s");
        await Eventually.WaitAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(10), "the container's process to be gone after the pod's deletion");
        Assert.False(Directory.Exists(Path.Combine(dir.File("root"), "pods", env["metadata"]!["uid"]!.ToString())));
        Assert.Equal(0, await node.TerminateAsync());
    }

    [Fact]
    public async Task Processes_outlive_their_agent_and_the_next_agent_adopts_them()
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("admin.kubeconfig");
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"), "--write-kubeconfig", kubeconfig);
        var first = LaunchAgent(dir, kubeconfig, "a");
        await WaitForOutputAsync(first, "p1 registered and ready");
        await ApplyAsync(dir, kubeconfig, """
            apiVersion: v1
            kind: Pod
            metadata: {name: long}
            spec:
              hostNetwork: true
              nodeName: p1
              containers:
              - {name: main, image: shell:1, command: [sh, -c, 'echo started; exec sleep 600']}
            """);
        await KubectlOkAsync(kubeconfig, "wait", "--for=condition=Ready", "pod/long", "--timeout=60s");
        var before = (await PodAsync(kubeconfig, "long"))["status"]!["containerStatuses"]![0]!;
        Assert.Equal(0, await first.TerminateAsync());
        await first.DisposeAsync();
        var pid = int.Parse(before["containerID"]!.ToString()["process://".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{pid}"), "the container outlives the agent that started it");

        await using var second = LaunchAgent(dir, kubeconfig, "b");
        await WaitForOutputAsync(second, "p1 registered and ready");
        var after = (await PodAsync(kubeconfig, "long"))["status"]!["containerStatuses"]![0]!;
        Assert.Equal(before["containerID"]!.ToString(), after["containerID"]!.ToString());
        Assert.Equal(0, after["restartCount"]!.GetValue<int>());
        Assert.True(after["ready"]!.GetValue<bool>());

        await KubectlOkAsync(kubeconfig, "delete", "pod", "long", "--timeout=60s");
        await Eventually.WaitAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(10), "the adopted process to be stopped");
        Assert.Equal(0, await second.TerminateAsync());
    }

    [Fact]
    public async Task Static_pods_run_from_files_with_mirror_pods_and_runonce_needs_no_api()
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("admin.kubeconfig");
        var manifests = dir.File("manifests");
        Directory.CreateDirectory(manifests);
        await File.WriteAllTextAsync(Path.Combine(manifests, "web.yaml"), """
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: kube-system}
            spec:
              hostNetwork: true
              containers:
              - {name: main, image: shell:1, command: [sh, -c, 'echo static; exec sleep 600']}
            """, Token);
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"), "--write-kubeconfig", kubeconfig);
        await using var node = LaunchAgent(dir, kubeconfig, "a", "--pod-manifest-path", manifests, "--file-check-frequency=1s");
        await WaitForOutputAsync(node, "p1 registered and ready");

        // The mirror pod stands for the static pod in the API, owned by the Node.
        var mirror = await WaitForPodAsync(kubeconfig, "web-p1", p => p["status"]?["containerStatuses"]?[0]?["ready"]?.GetValue<bool>() == true, "kube-system", node);
        Assert.NotNull(mirror["metadata"]!["annotations"]!["kubernetes.io/config.mirror"]);
        Assert.Equal("Node", mirror["metadata"]!["ownerReferences"]![0]!["kind"]!.ToString());
        var container = mirror["status"]!["containerStatuses"]![0]!["containerID"]!.ToString();

        // Deleting the mirror does not stop the static pod: the mirror comes back, the process is the same.
        await KubectlOkAsync(kubeconfig, "delete", "pod", "-n", "kube-system", "web-p1", "--wait=false");
        var back = await WaitForPodAsync(kubeconfig, "web-p1", p => p["metadata"]?["uid"]?.ToString() != mirror["metadata"]!["uid"]!.ToString() && p["status"]?["containerStatuses"]?[0]?["ready"]?.GetValue<bool>() == true, "kube-system");
        Assert.Equal(container, back["status"]!["containerStatuses"]![0]!["containerID"]!.ToString());

        // Removing the file stops the pod and its mirror.
        File.Delete(Path.Combine(manifests, "web.yaml"));
        var pid = int.Parse(container["process://".Length..], System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.WaitAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(30), "the static pod's process to stop");
        await Eventually.WaitAsync(async () => (await KubectlOkAsync(kubeconfig, "get", "pods", "-n", "kube-system", "-o", "name")).Trim().Length == 0, TimeSpan.FromSeconds(30), "the mirror pod to go");
        Assert.Equal(0, await node.TerminateAsync());

        // --runonce needs no API: it starts the static pods, says what runs, and exits; the processes stay.
        await File.WriteAllTextAsync(Path.Combine(manifests, "once.yaml"), """
            apiVersion: v1
            kind: Pod
            metadata: {name: once}
            spec:
              hostNetwork: true
              containers:
              - {name: main, image: shell:1, command: [sh, -c, 'exec sleep 600']}
            """, Token);
        var (code, output) = await MonokubeProcess.RunAsync("node", "--runtime=process", "--runonce", "--image-map", dir.File("images.yaml"), "--pod-manifest-path", manifests,
            "--root-dir", dir.File("once-root"), "--hostname-override=solo");
        Assert.True(code == 0, output);
        var line = output.Split('\n').Single(l => l.Contains("static pod default/once-solo: main: running as process", StringComparison.Ordinal));
        var supervisor = int.Parse(line[(line.LastIndexOf(' ') + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{supervisor}"), "the static pod runs on after --runonce exits");
        using var kill = System.Diagnostics.Process.Start("kill", ["-KILL", "--", "-" + supervisor]);
        await kill.WaitForExitAsync(Token);
    }

    private static MonokubeProcess LaunchAgent(TempDirectory dir, string kubeconfig, string name, params string[] flags)
    {
        File.WriteAllText(dir.File("images.yaml"), "shell: [/bin/sh]\n");
        return MonokubeProcess.Launch(["node", "--runtime=process", "--image-map", dir.File("images.yaml"), "--port=0", "--address=127.0.0.1",
            "--kubeconfig", kubeconfig, "--hostname-override=p1", "--root-dir", dir.File("root"), "--lock-file", dir.File("kubelet.lock"), "--v=4", .. flags]);
    }

    private static async Task ApplyAsync(TempDirectory dir, string kubeconfig, string yaml)
    {
        var file = dir.File(Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(file, yaml, Token);
        await KubectlOkAsync(kubeconfig, "apply", "-f", file);
    }

    private static async Task<string> LogAsync(int port, string ns, string pod, string container, string query = "")
    {
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        return await http.GetStringAsync(new Uri($"https://127.0.0.1:{port}/containerLogs/{ns}/{pod}/{container}?{query}"), Token);
    }

    private static async Task<JsonNode> PodAsync(string kubeconfig, string name, string ns = "default") =>
        JsonNode.Parse(await KubectlOkAsync(kubeconfig, "get", "pod", "-n", ns, name, "-o", "json"))!;

    private static Task<JsonNode> WaitForPodAsync(string kubeconfig, string name, Func<JsonNode, bool> condition, string ns = "default", MonokubeProcess? agent = null) =>
        Eventually.WaitAsync(async () =>
        {
            var (code, stdout, _) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "get", "pod", "-n", ns, name, "-o", "json");
            var pod = code == 0 ? JsonNode.Parse(stdout)! : new JsonObject();
            return (code == 0 && condition(pod), pod);
        }, TimeSpan.FromSeconds(60), $"pod {ns}/{name} to reach the expected state{(agent is null ? "" : "; the agent said:\n" + agent.Output)}");

    private static Task WaitForOutputAsync(MonokubeProcess process, string text) =>
        Eventually.WaitAsync(() => Task.FromResult(process.Output.Contains(text, StringComparison.Ordinal)), TimeSpan.FromSeconds(60), $"\"{text}\" from monokube node:\n{process.Output}");

    private static async Task<string> KubectlOkAsync(string kubeconfig, params string[] args)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return stdout;
    }
}
