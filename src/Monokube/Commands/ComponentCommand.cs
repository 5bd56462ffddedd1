using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Monokube.CommandLine;
using Monokube.Controllers;
using Monokube.Controllers.Client;
using Monokube.Controllers.LeaderElection;
using Monokube.Controllers.Scheduling;

namespace Monokube.Commands;

/// <summary>
/// monokube controller-manager and monokube scheduler: the built-in controllers, or the scheduler, as standalone
/// clients of any Kubernetes API (given by --kubeconfig), under leader election on the Lease the real component
/// uses, released on SIGTERM. Flag names are kube-controller-manager's and kube-scheduler's.
/// </summary>
internal sealed class ComponentCommand(string name, string summary, string lease, bool scheduler) : ICommand
{
    public string Name => name;

    public string Summary => summary;

    public static ComponentCommand ControllerManager { get; } = new(
        "controller-manager", "Run the built-in controllers against a Kubernetes API (as kube-controller-manager)", "kube-controller-manager", scheduler: false);

    public static ComponentCommand Scheduler { get; } = new(
        "scheduler", "Run the scheduler against a Kubernetes API (as kube-scheduler)", "kube-scheduler", scheduler: true);

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        var flags = new FlagSet(Name, $"monokube {Name} --kubeconfig PATH [flags]", summary + """
            .
            It talks to the API only through the kubeconfig's server and credentials, and acts only while it holds its
            Lease in kube-system, which it gives up when stopped, so a standby (or the real component) takes over at once.
            """);
        var kubeconfig = flags.String("kubeconfig", "", "The kubeconfig of the API to work against (required)");
        var leaderElect = flags.Bool("leader-elect", true, "Act only while holding the Lease (--leader-elect-resource-namespace/--leader-elect-resource-name)");
        var leaseNamespace = flags.String("leader-elect-resource-namespace", "kube-system", "The namespace of the Lease");
        var leaseName = flags.String("leader-elect-resource-name", lease, "The name of the Lease");
        var leaseDuration = flags.Duration("leader-elect-lease-duration", TimeSpan.FromSeconds(15), "How long a standby waits, after the last renewal it saw, before taking the Lease");
        var renewDeadline = flags.Duration("leader-elect-renew-deadline", TimeSpan.FromSeconds(10), "How long the leader keeps trying to renew before it stops acting");
        var retryPeriod = flags.Duration("leader-elect-retry-period", TimeSpan.FromSeconds(2), "How often to try to take or renew the Lease");
        var controllers = scheduler ? null : flags.StringList("controllers", "Controllers to run: names, * for all, -name to leave one out (default *). Names: " + string.Join(", ", BuiltinControllers.Names));
        var signingCert = scheduler ? null : flags.String("cluster-signing-cert-file", "", "PEM CA certificate that signs approved kubelet and client CSRs (no signing without it)");
        var signingKey = scheduler ? null : flags.String("cluster-signing-key-file", "", "PEM private key of --cluster-signing-cert-file");
        var signingDuration = scheduler ? null : flags.Duration("cluster-signing-duration", TimeSpan.FromDays(365), "The longest certificate the CSR signer issues");
        var rootCa = scheduler ? null : flags.String("root-ca-file", "", "PEM CA bundle published as kube-root-ca.crt in every namespace; default: the kubeconfig's CA");
        var graceperiod = scheduler ? null : flags.Duration("node-monitor-grace-period", TimeSpan.FromSeconds(50), "How long a node's kubelet may be silent before the node is Unknown");
        var monitorPeriod = scheduler ? null : flags.Duration("node-monitor-period", TimeSpan.FromSeconds(5), "How often every node's health is checked");
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

        if (kubeconfig.Value.Length == 0)
        {
            throw new CommandLineException("--kubeconfig is required");
        }

        var enabled = controllers is null || controllers.Value.Count == 0 ? ["*"] : controllers.Value;
        if (enabled.Select(c => c.TrimStart('-')).FirstOrDefault(c => c != "*" && !BuiltinControllers.Names.Contains(c)) is { } unknown)
        {
            throw new CommandLineException($"unknown controller \"{unknown}\" in --controllers; known: {string.Join(", ", BuiltinControllers.Names)}");
        }

        if (signingCert is not null && signingCert.Value.Length > 0 != signingKey!.Value.Length > 0)
        {
            throw new CommandLineException("--cluster-signing-cert-file and --cluster-signing-key-file go together");
        }

        using var loggers = Logging.CreateFactory(verbosity.Value);
        KubeClientOptions clientOptions;
        ControllerOptions options;
        try
        {
            clientOptions = KubeconfigFile.Load(kubeconfig.Value, "monokube/" + Name);
            options = new ControllerOptions
            {
                Enabled = enabled,
                SigningCertificate = signingCert is { Value.Length: > 0 } ? X509Certificate2.CreateFromPemFile(signingCert.Value, signingKey!.Value) : null,
                SigningDuration = signingDuration?.Value ?? TimeSpan.FromDays(365),
                RootCaPem = rootCa is { Value.Length: > 0 } ? await File.ReadAllTextAsync(rootCa.Value, cancellationToken) : RootCaOf(clientOptions),
                NodeMonitorGracePeriod = graceperiod?.Value ?? TimeSpan.FromSeconds(50),
                NodeMonitorPeriod = monitorPeriod?.Value ?? TimeSpan.FromSeconds(5),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidDataException or System.Security.Cryptography.CryptographicException or YamlDotNet.Core.YamlException)
        {
            await context.Error.WriteLineAsync($"Error: {e.Message}");
            return 1;
        }

        using var client = new KubeClient(clientOptions);
        var identity = LeaderElectionOptions.NewIdentity();
        var election = leaderElect.Value
            ? new LeaderElectionOptions(leaseNamespace.Value, leaseName.Value, identity) { LeaseDuration = leaseDuration.Value, RenewDeadline = renewDeadline.Value, RetryPeriod = retryPeriod.Value }
            : null;
        var host = new ControllerHost(Name, client, options, scheduler ? c => [new Scheduler(c, identity)] : BuiltinControllers.Create, election, TimeProvider.System, loggers);
        await context.Out.WriteLineAsync($"monokube {Name}: working against {clientOptions.Server} as {identity}" + (election is null ? "" : $" (lease {election.Namespace}/{election.Name})"));
        await context.Out.FlushAsync(CancellationToken.None);
        await host.RunAsync(cancellationToken);
        return 0;
    }

    private static string? RootCaOf(KubeClientOptions options) =>
        options.CertificateAuthorities.Count == 0 ? null : string.Concat(options.CertificateAuthorities.Select(c => c.ExportCertificatePem() + "\n"));
}
