using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;
using Monokube.Node.Certificates;
using Monokube.Node.Server;

namespace Monokube.Node;

/// <summary>
/// monokube node: takes the lock file, gets a client certificate through the TLS bootstrap when there is no
/// kubeconfig yet, then keeps its node(s) until stopped — or, with --exit-on-lock-contention, until another agent
/// (the managed kubelet) opens the lock file.
/// </summary>
public sealed class NodeAgent(NodeAgentOptions options, TimeProvider time, ILoggerFactory loggers, TextWriter output)
{
    /// <summary>Runs until cancelled or the lock is contended; returns the reason it stopped.</summary>
    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        using var lockFile = options.LockFile is null ? null : await LockFile.AcquireAsync(options.LockFile, options.ExitOnLockContention, time, cancellationToken);
        if (options.Count == 1 && (!File.Exists(options.Kubeconfig) || (options.BootstrapKubeconfig is not null && ExpiredCertificate() is not null)))
        {
            if (File.Exists(options.Kubeconfig))
            {
                // As the kubelet: a kubeconfig whose certificate is no longer valid is bootstrapped again.
                await output.WriteLineAsync($"monokube node: the client certificate of {options.Kubeconfig} is not valid now ({ExpiredCertificate()}); bootstrapping a new one");
            }

            if (options.BootstrapKubeconfig is null)
            {
                throw new FileNotFoundException($"{options.Kubeconfig} does not exist and no --bootstrap-kubeconfig was given to get one", options.Kubeconfig);
            }

            await UntilReachableAsync(() => TlsBootstrap.BootstrapAsync(options, options.NodeName, output, time, cancellationToken), cancellationToken);
        }

        var clientOptions = KubeconfigFile.Load(options.Kubeconfig, "monokube/node");
        var rotation = await CertificateRotationAsync(clientOptions);
        if (rotation is not null)
        {
            clientOptions = clientOptions.WithClientCertificateSource(() => rotation.Current, rotation.Connections);
        }

        using var client = new KubeClient(clientOptions);
        using var stopRotation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var rotating = rotation is null ? Task.CompletedTask : Task.Run(() => rotation.RunAsync(client, stopRotation.Token), CancellationToken.None);
        var logger = loggers.CreateLogger("Monokube.Node");
        var names = options.Count == 1 ? [options.NodeName] : Enumerable.Range(0, options.Count).Select(i => $"{options.NodeName}-{i}").ToList();
        var nodes = new List<SimulatedNode>();
        await using var server = await KubeletServer.StartAsync(options, options.NodeName, (ns, pod, container, previous) =>
            nodes.Select(n => n.FindLog(ns, pod, container, previous)).FirstOrDefault(found => found is not null), time, cancellationToken);
        nodes.AddRange(names.Select((name, index) => new SimulatedNode(client, options, name, index, time, logger, server.Port)));
        var runtime = options.Runtime == NodeRuntime.Process ? $"process runtime, {options.Images.Count} images mapped" : "fake runtime";
        try
        {
            // Many nodes register a few at a time, so a thousand do not all land on the API at once.
            using var gate = new SemaphoreSlim(16);
            await Task.WhenAll(nodes.Select(async node =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    await UntilReachableAsync(() => node.StartAsync(cancellationToken), cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }));
            await output.WriteLineAsync(options.Count == 1
                ? $"monokube node: {options.NodeName} registered and ready ({runtime}; kubelet port {server.Port})"
                : $"monokube node: {options.Count} nodes {names[0]} ... {names[^1]} registered and ready ({runtime}; kubelet port {server.Port})");
            await output.FlushAsync(CancellationToken.None);

            var stopped = Task.Delay(Timeout.Infinite, cancellationToken);
            var contended = lockFile?.Contended ?? Task.Delay(Timeout.Infinite, CancellationToken.None);
            // The rotation loop ends only when stopped; should it fail, the agent fails with it rather than run on
            // towards an expired certificate.
            var first = await Task.WhenAny(stopped, contended, rotating == Task.CompletedTask ? stopped : rotating);
            if (first == rotating)
            {
                await rotating;
            }

            return first == contended ? "another process opened the lock file " + options.LockFile : "stopped";
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            await stopRotation.CancelAsync();
            await rotating;
        }
    }

    // The validity period of the kubeconfig's client certificate when now is outside it; null when it is valid or there is none.
    private string? ExpiredCertificate()
    {
        try
        {
            using var certificate = KubeconfigFile.Load(options.Kubeconfig, "monokube/node").ClientCertificate;
            var now = time.GetUtcNow().UtcDateTime;
            return certificate is null || (now >= certificate.NotBefore.ToUniversalTime() && now < certificate.NotAfter.ToUniversalTime())
                ? null
                : $"valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}";
        }
        catch (Exception e) when (e is IOException or FormatException or System.Security.Cryptography.CryptographicException or YamlDotNet.Core.YamlException)
        {
            return null;
        }
    }

    // The kubelet's client certificate manager, when asked for (--rotate-certificates, rotateCertificates) and there
    // is one node's certificate to rotate: the store's current one (kubelet-client-current.pem), else the kubeconfig's.
    private async Task<ClientCertificateRotation?> CertificateRotationAsync(KubeClientOptions clientOptions)
    {
        if (!options.RotateCertificates)
        {
            return null;
        }

        if (options.Count != 1)
        {
            await output.WriteLineAsync("monokube node: not rotating client certificates: --count simulates many nodes with one kubeconfig, and a node's certificate is one node's");
            return null;
        }

        var store = new KubeletCertificateStore(options.CertDir, time);
        var current = store.Current() ?? clientOptions.ClientCertificate;
        if (current is null)
        {
            await output.WriteLineAsync($"monokube node: not rotating client certificates: {options.Kubeconfig} authenticates without one and {store.CurrentPath} does not exist");
            return null;
        }

        await output.WriteLineAsync($"monokube node {options.NodeName}: client certificate rotation is on ({store.CurrentPath})");
        return new ClientCertificateRotation(store, current, options.NodeName, options.BootstrapKubeconfig, time, output);
    }

    // A kubelet may start before its API does (the first master's bootstrap kubelet starts beside monokube start):
    // it waits, saying so whenever the reason changes, instead of failing.
    private async Task UntilReachableAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        System.Net.HttpStatusCode? said = null;
        while (true)
        {
            try
            {
                await action();
                return;
            }
            catch (KubeApiException e) when (e.IsUnreachable || e.Code is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                // Unauthorized and Forbidden too: on the first master the bootstrap token's Secret and RBAC are
                // created by monokube start, after the API is up; a kubelet keeps asking.
                if (said != e.Code)
                {
                    await output.WriteLineAsync($"monokube node: waiting for the API: {e.Message}");
                    await output.FlushAsync(CancellationToken.None);
                    said = e.Code;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }
        }
    }
}
