using System.Net;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Hosting;
using Monokube.CommandLine;
using Monokube.Storage;
using Monokube.Storage.Etcd;
using Monokube.Storage.Memory;

namespace Monokube.Commands;

internal sealed class ServeCommand : ICommand
{
    public string Name => "serve";

    public string Summary => "Serve the Kubernetes API (in-memory storage, or the cluster's etcd)";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        var flags = new FlagSet(Name, "monokube serve [flags]", """
            Serve a Kubernetes-compatible API. Storage is in memory by default; --etcd-servers stores objects in etcd
            in kube-apiserver's own layout, so a kube-apiserver pointed at the same etcd sees the same objects.
            Flag names are kube-apiserver's where they mean the same.
            """);
        var bindAddress = flags.String("bind-address", "0.0.0.0", "The IP address to listen on (127.0.0.1 with --insecure-http)");
        var port = flags.Int("secure-port", 6443, "The port to serve on; 0 picks a free port (the URL is printed)");
        var insecureHttp = flags.Bool("insecure-http", false, "Serve plain HTTP, without TLS or authentication, on a loopback address only.\nRequired until HTTPS serving lands");
        var storage = flags.Choice("storage", "memory", "Where objects live: memory (embedded) or etcd (implied by --etcd-servers)", "memory", "etcd");
        var etcdServers = flags.StringList("etcd-servers", "etcd client URLs, comma separated (http://127.0.0.1:2379)");
        var etcdPrefix = flags.String("etcd-prefix", "/registry", "The prefix of every key in etcd");
        var etcdCa = flags.String("etcd-cafile", "", "PEM CA bundle that verifies the etcd members' certificates");
        var etcdCert = flags.String("etcd-certfile", "", "PEM client certificate for etcd");
        var etcdKey = flags.String("etcd-keyfile", "", "PEM private key of --etcd-certfile");
        var history = flags.Int("memory-history-revisions", 10_000, "Revisions of history the memory store keeps for watches and paged lists");
        var serviceRange = flags.String("service-cluster-ip-range", "10.0.0.0/24", "The IPv4 CIDR Service cluster IPs are allocated from (its first address is the kubernetes Service's)");
        var nodePortRange = flags.String("service-node-port-range", "30000-32767", "The port range NodePort Services are allocated from");
        var kubeconfig = flags.String("write-kubeconfig", "", "Write a kubeconfig for this server to this path once it serves");
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

        if (!IPAddress.TryParse(bindAddress.Value, out var address))
        {
            throw new CommandLineException($"invalid --bind-address \"{bindAddress.Value}\": not an IP address");
        }

        if (insecureHttp.Value && !bindAddress.Changed)
        {
            address = IPAddress.Loopback;
        }

        if (!insecureHttp.Value)
        {
            throw new CommandLineException("HTTPS serving is not implemented yet; pass --insecure-http to serve plain HTTP on 127.0.0.1");
        }

        if (!IPAddress.IsLoopback(address))
        {
            throw new CommandLineException($"--insecure-http serves only on a loopback address, not {address}");
        }

        var useEtcd = etcdServers.Value.Count > 0;
        if (storage.Changed && storage.Value == "memory" && useEtcd)
        {
            throw new CommandLineException("--storage=memory and --etcd-servers contradict each other");
        }

        if (storage.Value == "etcd" && !useEtcd)
        {
            throw new CommandLineException("--storage=etcd needs --etcd-servers");
        }

        if (history.Value < 1)
        {
            throw new CommandLineException("--memory-history-revisions must be at least 1");
        }

        ApiServer.Services.ServiceIpRange ipRange;
        try
        {
            ipRange = ApiServer.Services.ServiceIpRange.Parse(serviceRange.Value);
        }
        catch (FormatException e)
        {
            throw new CommandLineException("invalid --service-cluster-ip-range: " + e.Message);
        }

        var portBounds = nodePortRange.Value.Split('-');
        if (portBounds.Length != 2 || !int.TryParse(portBounds[0], out var firstPort) || !int.TryParse(portBounds[1], out var lastPort) || firstPort < 1 || lastPort > 65535 || firstPort > lastPort)
        {
            throw new CommandLineException($"invalid --service-node-port-range \"{nodePortRange.Value}\": expected FIRST-LAST, such as 30000-32767");
        }

        var options = new ApiServerOptions
        {
            BindAddress = address,
            Port = port.Value,
            InsecureHttp = insecureHttp.Value,
            ServiceClusterIpRange = ipRange,
            ServiceNodePortRange = (firstPort, lastPort),
        };
        using var loggerFactory = Logging.CreateFactory(verbosity.Value);
        await using var store = CreateStore(useEtcd, etcdServers.Value, etcdPrefix.Value, etcdCa.Value, etcdCert.Value, etcdKey.Value, history.Value, loggerFactory);

        ApiServer.Hosting.ApiServer server;
        try
        {
            server = await ApiServer.Hosting.ApiServer.StartAsync(options, store, logging => Logging.Configure(logging, verbosity.Value), cancellationToken);
        }
        catch (IOException e)
        {
            await context.Error.WriteLineAsync($"Error: cannot listen on {address}:{port.Value}: {e.Message}");
            return 1;
        }

        await using (server)
        {
            if (kubeconfig.Value.Length > 0)
            {
                await Kubeconfig.WriteInsecureAsync(kubeconfig.Value, server.Url, cancellationToken);
            }

            await context.Out.WriteLineAsync($"monokube: serving the Kubernetes API on {server.Url.ToString().TrimEnd('/')} (storage: {store.Name})");
            await context.Out.FlushAsync(cancellationToken);
            try
            {
                await server.WaitForShutdownAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }

        return 0;
    }

    private static IObjectStore CreateStore(bool useEtcd, IReadOnlyList<string> servers, string prefix, string ca, string cert, string key, int history, ILoggerFactory loggerFactory)
    {
        if (!useEtcd)
        {
            return new MemoryObjectStore(new MemoryStoreOptions { HistoryLimit = history });
        }

        IReadOnlyList<Uri> endpoints;
        try
        {
            endpoints = EtcdOptions.ParseEndpoints(string.Join(',', servers));
        }
        catch (FormatException e)
        {
            throw new CommandLineException("invalid --etcd-servers: " + e.Message);
        }

        if (!prefix.StartsWith('/'))
        {
            throw new CommandLineException("--etcd-prefix must start with '/'");
        }

        return new EtcdObjectStore(
            new EtcdOptions
            {
                Endpoints = endpoints,
                Prefix = prefix,
                CaFile = ca.Length > 0 ? ca : null,
                CertFile = cert.Length > 0 ? cert : null,
                KeyFile = key.Length > 0 ? key : null,
            },
            loggerFactory);
    }
}
