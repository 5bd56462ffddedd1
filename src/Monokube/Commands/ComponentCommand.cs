using Monokube.ApiServer.Health;
using Monokube.CommandLine;
using Monokube.Controllers;
using Monokube.Controllers.Client;
using Monokube.Controllers.LeaderElection;
using Monokube.Controllers.Scheduling;

namespace Monokube.Commands;

/// <summary>
/// monokube controller-manager and monokube scheduler: the built-in controllers, or the scheduler, as standalone
/// clients of any Kubernetes API (given by --kubeconfig), under leader election on the Lease the real component
/// uses, released on SIGTERM, with /healthz, /livez and /readyz on the secure port. Flag names are
/// kube-controller-manager's and kube-scheduler's, so the rendered manifests' command lines run as they are.
/// </summary>
internal sealed class ComponentCommand(string name, string summary, string lease, int securePort, bool scheduler) : ICommand
{
    // How far past the lease duration a leader that has not renewed may go before /healthz fails (kube's 20 s).
    private static readonly TimeSpan LeaderElectionTolerance = TimeSpan.FromSeconds(20);

    public string Name => name;

    public string Summary => summary;

    public static ComponentCommand ControllerManager { get; } = new(
        "controller-manager", "Run the built-in controllers against a Kubernetes API (as kube-controller-manager)", "kube-controller-manager", 10257, scheduler: false);

    public static ComponentCommand Scheduler { get; } = new(
        "scheduler", "Run the scheduler against a Kubernetes API (as kube-scheduler)", "kube-scheduler", 10259, scheduler: true);

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        var flags = new FlagSet(Name, $"monokube {Name} --kubeconfig PATH [flags]", summary + """
            .
            It talks to the API only through the kubeconfig's server and credentials, and acts only while it holds its
            Lease in kube-system, which it gives up when stopped, so a standby (or the real component) takes over at once.
            /healthz, /livez and /readyz answer over HTTPS on --bind-address:--secure-port, without credentials.
            """);
        var kubeconfig = flags.String("kubeconfig", "", "The kubeconfig of the API to work against (required)");
        var leaderElect = flags.Bool("leader-elect", true, "Act only while holding the Lease (--leader-elect-resource-namespace/--leader-elect-resource-name)");
        var leaseNamespace = flags.String("leader-elect-resource-namespace", "kube-system", "The namespace of the Lease");
        var leaseName = flags.String("leader-elect-resource-name", lease, "The name of the Lease");
        var leaseDuration = flags.Duration("leader-elect-lease-duration", TimeSpan.FromSeconds(15), "How long a standby waits, after the last renewal it saw, before taking the Lease");
        var renewDeadline = flags.Duration("leader-elect-renew-deadline", TimeSpan.FromSeconds(10), "How long the leader keeps trying to renew before it stops acting");
        var retryPeriod = flags.Duration("leader-elect-retry-period", TimeSpan.FromSeconds(2), "How often to try to take or renew the Lease");
        var serving = new SecureServingFlags(flags, securePort);
        var controllerFlags = scheduler ? null : new ControllerManagerFlags(flags);
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

        serving.Validate();
        controllerFlags?.Validate();

        using var loggers = Logging.CreateFactory(verbosity.Value);
        KubeClientOptions clientOptions;
        ControllerOptions options;
        try
        {
            clientOptions = KubeconfigFile.Load(kubeconfig.Value, "monokube/" + Name);
            serving.LoadDelegatedKubeconfigs("monokube/" + Name);
            options = controllerFlags is null ? new ControllerOptions() : await controllerFlags.LoadAsync(clientOptions, cancellationToken);
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

        ApiServer.Hosting.HealthServer? health;
        try
        {
            health = await serving.StartAsync(lease, [new HealthCheck("leaderElection", _ => ValueTask.FromResult(host.Elector?.Check(LeaderElectionTolerance)))],
                loggers, cancellationToken);
        }
        catch (IOException e)
        {
            await context.Error.WriteLineAsync($"Error: failed to create listener: failed to listen on {serving.Endpoint}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            await context.Error.WriteLineAsync($"Error: {e.Message}");
            return 1;
        }

        await using (health)
        {
            await context.Out.WriteLineAsync($"monokube {Name}: working against {clientOptions.Server} as {identity}" + (election is null ? "" : $" (lease {election.Namespace}/{election.Name})"));
            if (health is not null)
            {
                await context.Out.WriteLineAsync($"monokube {Name}: serving /healthz, /livez, /readyz on {health.Url.ToString().TrimEnd('/')}");
            }

            await context.Out.FlushAsync(CancellationToken.None);
            await host.RunAsync(cancellationToken);
        }

        return 0;
    }
}
