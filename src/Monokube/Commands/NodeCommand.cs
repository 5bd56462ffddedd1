using System.Text.RegularExpressions;
using Monokube.CommandLine;
using Monokube.Node;

namespace Monokube.Commands;

internal sealed partial class NodeCommand : ICommand
{
    public string Name => "node";

    public string Summary => "Be a node (or many) for a Kubernetes API, as a kubelet: simulated containers, or local processes";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        var flags = new FlagSet(Name, "monokube node --kubeconfig PATH [flags]", """
            Register a Node and keep it as a kubelet does — Lease renewed every 10 s, pods bound to it reported
            Pending, Running and Ready (pods that do not restart complete), graceful deletions finished — without
            containers. Without a kubeconfig, --bootstrap-kubeconfig gets a client certificate through the kubelet's
            TLS bootstrap. --count simulates many nodes in one process. With --runtime=process, containers whose image
            is in --image-map run as local processes (host-network pods), with their env, volumes, probes, restarts
            and logs (kubectl logs works through the API); they outlive the agent and the next agent on the same
            --root-dir adopts them. Flag names are the kubelet's.
            """);
        var config = flags.String("config", "", "A KubeletConfiguration file (port, address, authentication.x509.clientCAFile, staticPodPath and rotateCertificates are used; flags win)");
        var kubeconfig = flags.String("kubeconfig", "", "The kubeconfig to work with; written by the TLS bootstrap when it does not exist (default <root-dir>/kubeconfig)");
        var bootstrap = flags.String("bootstrap-kubeconfig", "", "A kubeconfig with a bootstrap token, used to get a client certificate when --kubeconfig does not exist");
        var rootDir = flags.String("root-dir", "/var/lib/kubelet", "The agent's directory");
        var certDir = flags.String("cert-dir", "", "Where the client certificate and key are kept (default <root-dir>/pki)");
        var rotate = flags.Bool("rotate-certificates", false, "Renew the client certificate with a CSR as it nears expiry (70-90% of its lifetime), as the kubelet does (default: the --config's rotateCertificates, else false)");
        var hostname = flags.String("hostname-override", "", "The node's name (default the host name)");
        var nodeName = flags.String("node-name", "", "Same as --hostname-override");
        var labels = flags.StringList("node-labels", "Labels to register the node with: key=value,...");
        var taints = flags.StringList("register-with-taints", "Taints to register the node with: key=value:Effect,...");
        var nodeIp = flags.String("node-ip", "127.0.0.1", "The node's InternalIP address (also host-network pods' IP)");
        var capacity = flags.StringList("capacity", "The node's capacity and allocatable: resource=quantity,... (default cpu=4,memory=8Gi,pods=110,ephemeral-storage=100Gi)");
        var lockFile = flags.String("lock-file", "", "A file to hold an exclusive lock on while running");
        var exitOnContention = flags.Bool("exit-on-lock-contention", false, "Exit when another process opens --lock-file (the managed kubelet taking over)");
        var runtime = flags.Choice("runtime", "fake", "The container runtime: fake (simulated containers) or process (images in --image-map run as local processes, the rest simulated)", "fake", "process");
        var imageMap = flags.String("image-map", "", "YAML mapping image (or image without tag) to the command standing for its entrypoint, for --runtime=process");
        var hostRoot = flags.String("host-root", "/", "Where the host's file system is: hostPath volumes, the default --root-dir and the paths in --config are under it");
        var port = flags.Int("port", -1, "The kubelet port serving container logs over HTTPS (0: any free port; default 10250, or the --config's)");
        var address = flags.String("address", "", "The kubelet port's address (default 0.0.0.0, or the --config's)");
        var clientCa = flags.String("client-ca-file", "", "Clients of the kubelet port must present a certificate from this CA (default: the --config's authentication.x509.clientCAFile; none: no client authentication)");
        var count = flags.Int("count", 1, "Simulate this many nodes, named <node-name>-0 ... <node-name>-(count-1); needs a --kubeconfig that may act for all of them");
        var startDelay = flags.Duration("fake-start-delay", TimeSpan.Zero, "How long a fake container takes to start");
        var runDuration = flags.Duration("fake-run-duration", TimeSpan.FromSeconds(1), "How long a fake container of a pod that does not restart runs before it completes");
        var leaseInterval = flags.Duration("node-lease-renew-interval", TimeSpan.FromSeconds(10), "How often the node's Lease is renewed");
        var manifests = flags.String("pod-manifest-path", "", "A directory of static pod manifests, run on the process runtime with a mirror pod each in the API (default: the --config's staticPodPath)");
        var fileCheck = flags.Duration("file-check-frequency", TimeSpan.FromSeconds(20), "How often the static pod directory is read again");
        var runOnce = flags.Bool("runonce", false, "Run the static pods without any API, wait until they have started, and exit (they keep running)");
        var verbosity = flags.Int("v", 0, "Log verbosity: 0 info, 4 debug, 6 trace");

        var positional = Cli.ParseFlags(flags, args, context);
        if (positional is null)
        {
            return 0;
        }

        if (positional.Count > 0)
        {
            throw new CommandLineException($"unexpected argument \"{positional[0]}\"");
        }

        if (runtime.Value == "process" && count.Value != 1)
        {
            throw new CommandLineException("--runtime=process runs one node; --count is for the fake runtime");
        }

        if (imageMap.Value.Length > 0 && runtime.Value != "process")
        {
            throw new CommandLineException("--image-map needs --runtime=process");
        }

        if (manifests.Value.Length > 0 && runtime.Value != "process")
        {
            throw new CommandLineException("--pod-manifest-path needs --runtime=process");
        }

        if (count.Value < 1)
        {
            throw new CommandLineException("--count must be at least 1");
        }

        var name = hostname.Value.Length > 0 ? hostname.Value : nodeName.Value.Length > 0 ? nodeName.Value : Environment.MachineName.ToLowerInvariant();
        if (!NamePattern().IsMatch(name))
        {
            throw new CommandLineException($"invalid node name \"{name}\": a lowercase RFC 1123 subdomain is required");
        }

        var root = rootDir.Changed ? rootDir.Value : HostPaths.Resolve(hostRoot.Value, rootDir.Value);
        var file = config.Value.Length > 0 ? KubeletConfigFile.Load(config.Value) : null;
        var options = new NodeAgentOptions
        {
            Kubeconfig = kubeconfig.Value.Length > 0 ? kubeconfig.Value : Path.Combine(root, "kubeconfig"),
            BootstrapKubeconfig = bootstrap.Value.Length > 0 ? bootstrap.Value : null,
            CertDir = certDir.Value.Length > 0 ? certDir.Value : Path.Combine(root, "pki"),
            RotateCertificates = rotate.Changed ? rotate.Value : file?.RotateCertificates ?? false,
            RootDir = root,
            HostRoot = hostRoot.Value,
            Runtime = runtime.Value == "process" ? NodeRuntime.Process : NodeRuntime.Fake,
            Images = imageMap.Value.Length > 0 ? Node.Runtime.ImageMap.Load(imageMap.Value) : Node.Runtime.ImageMap.Empty,
            Port = port.Value >= 0 ? port.Value : file?.Port ?? 10250,
            Address = address.Value.Length > 0 ? address.Value : file?.Address ?? "0.0.0.0",
            StaticPodPath = manifests.Value.Length > 0 ? manifests.Value
                : runtime.Value == "process" && file?.StaticPodPath is { } staticPath ? HostPaths.Resolve(hostRoot.Value, staticPath) : null,
            FileCheckFrequency = fileCheck.Value,
            RunOnce = runOnce.Value,
            ClientCaFile = clientCa.Value.Length > 0 ? clientCa.Value : file?.ClientCaFile is { } ca ? HostPaths.Resolve(hostRoot.Value, ca) : null,
            NodeName = name,
            Labels = ParsePairs(labels.Value, "--node-labels"),
            Taints = [.. taints.Value.Select(ParseTaint)],
            NodeIp = nodeIp.Value,
            Capacity = capacity.Value.Count > 0 ? ParsePairs(capacity.Value, "--capacity") : NodeAgentOptions.DefaultCapacity,
            LockFile = lockFile.Value.Length > 0 ? lockFile.Value : null,
            ExitOnLockContention = exitOnContention.Value,
            Count = count.Value,
            StartDelay = startDelay.Value,
            RunDuration = runDuration.Value,
            LeaseRenewInterval = leaseInterval.Value,
        };
        if (options.ExitOnLockContention && options.LockFile is null)
        {
            throw new CommandLineException("--exit-on-lock-contention needs --lock-file");
        }

        if (options.RunOnce && (options.StaticPodPath is null || options.Runtime != NodeRuntime.Process))
        {
            throw new CommandLineException("--runonce runs static pods: it needs --runtime=process and --pod-manifest-path (or a --config with staticPodPath)");
        }

        using var loggers = Logging.CreateFactory(verbosity.Value);
        try
        {
            if (options.RunOnce)
            {
                return await RunOnce.RunAsync(options, TimeProvider.System, loggers.CreateLogger("Monokube.Node"), context.Out, TimeSpan.FromMinutes(5), cancellationToken);
            }

            using var release = new IdleHeapRelease(TimeProvider.System, loggers.CreateLogger("Monokube.Memory"));
            var reason = await new NodeAgent(options, TimeProvider.System, loggers, context.Out).RunAsync(cancellationToken);
            await context.Out.WriteLineAsync($"monokube node: exiting: {reason}");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or YamlDotNet.Core.YamlException or Controllers.Client.KubeApiException)
        {
            await context.Error.WriteLineAsync("Error: " + e.Message);
            return 1;
        }
    }

    private static Dictionary<string, string> ParsePairs(IReadOnlyList<string> items, string flag)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CommandLineException($"invalid {flag} \"{item}\": expected key=value");
            }

            pairs[item[..equals]] = item[(equals + 1)..];
        }

        return pairs;
    }

    private static (string Key, string? Value, string Effect) ParseTaint(string text)
    {
        var colon = text.LastIndexOf(':');
        var effect = colon < 0 ? "" : text[(colon + 1)..];
        if (colon <= 0 || effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
        {
            throw new CommandLineException($"invalid --register-with-taints \"{text}\": expected key[=value]:NoSchedule|PreferNoSchedule|NoExecute");
        }

        var keyValue = text[..colon];
        var equals = keyValue.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? (keyValue, null, effect) : (keyValue[..equals], keyValue[(equals + 1)..], effect);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex NamePattern();
}
