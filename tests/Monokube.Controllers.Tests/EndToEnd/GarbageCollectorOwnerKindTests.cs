using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Discovery;
using Monokube.Controllers.GarbageCollection;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>The cluster without a garbage collector of its own: the test runs one whose discovery it holds back.</summary>
public sealed class NoGarbageCollectorCluster : ClusterFixture
{
    protected override ControllerOptions CreateOptions(ApiServer.Hosting.ApiServer server) => new()
    {
        Enabled = ["*", "-garbage-collector-controller"],
        RootCaPem = CaPem,
    };
}

/// <summary>
/// An owner whose kind the collector's discovery does not know yet (a CRD just created) is not an absent owner:
/// the collector waits until the kind resolves, as kube's does, and never deletes on the guess. Discovery is held
/// back by the test, so the window that lost data by chance is open for as long as the test wants.
/// </summary>
public sealed class GarbageCollectorOwnerKindTests(NoGarbageCollectorCluster cluster) : IClassFixture<NoGarbageCollectorCluster>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_dependent_is_kept_while_its_owners_kind_is_not_discovered_and_collected_with_the_owner_after()
    {
        var group = "gc" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        var backups = await CustomResources.ServeBackupsAsync(cluster.Client, group, Ct);
        var discovery = new HeldDiscovery(cluster.Client, group);
        var host = new ControllerHost("controller-manager", cluster.Client, new ControllerOptions { Enabled = ["garbage-collector-controller"] },
            c => [new GarbageCollector(c, discovery.DiscoverAsync)], null, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = host.RunAsync(stop.Token);
        await host.Started.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        var ns = await cluster.NamespaceAsync();
        var owner = await cluster.Client.CreateAsync(backups, ns, CustomResources.Backup(group, "nightly"), Ct);
        var before = discovery.Calls;
        await cluster.Client.CreateAsync(ResourceRef.ConfigMaps, ns, CustomResources.OwnedConfigMap("nightly-data", owner), Ct);

        // The collector met the dependent, could not resolve Backup, and asked discovery again (twice: it keeps
        // waiting rather than judging); the dependent is still there.
        await discovery.WaitForCallsAsync(before + 2, TimeSpan.FromSeconds(20));
        Assert.NotNull(await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "nightly-data", Ct));

        // Once discovery serves the kind, the collector watches Backups: the dependent goes with its owner.
        discovery.Release();
        await discovery.WaitForCallsAsync(discovery.Calls + 1, TimeSpan.FromSeconds(20));
        Assert.NotNull(await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "nightly-data", Ct));
        await cluster.Client.DeleteAsync(backups, ns, "nightly", Ct);
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "nightly-data", Ct) is null, "the dependent to be collected with its owner");

        await stop.CancelAsync();
        await running;
    }

    /// <summary>The server's discovery, with one API group left out until <see cref="Release"/>.</summary>
    private sealed class HeldDiscovery(KubeClient client, string heldGroup)
    {
        private readonly Lock _gate = new();
        private int _calls;
        private bool _released;
        private TaskCompletionSource _called = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls
        {
            get
            {
                lock (_gate)
                {
                    return _calls;
                }
            }
        }

        public void Release()
        {
            lock (_gate)
            {
                _released = true;
            }
        }

        public async Task<ApiResources> DiscoverAsync(CancellationToken cancellationToken)
        {
            bool released;
            lock (_gate)
            {
                released = _released;
            }

            var all = await ApiResources.DiscoverAsync(client, cancellationToken);
            var result = released ? all : all.Without(heldGroup);
            lock (_gate)
            {
                _calls++;
                _called.TrySetResult();
                _called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return result;
        }

        public async Task WaitForCallsAsync(int calls, TimeSpan timeout)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(timeout);
            while (true)
            {
                Task next;
                lock (_gate)
                {
                    if (_calls >= calls)
                    {
                        return;
                    }

                    next = _called.Task;
                }

                try
                {
                    await next.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
                {
                    Assert.Fail($"the collector asked discovery {Calls} times, not {calls}, within {timeout.TotalSeconds} s");
                }
            }
        }
    }
}
