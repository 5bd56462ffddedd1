using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>
/// The operator author's scenario many times at once: a CRD just created, an owner of the new kind, objects it owns,
/// all as fast as a test creates them. The collector must never delete a dependent whose owner lives.
/// </summary>
public sealed class GarbageCollectorStressTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dependents_of_owners_of_new_kinds_survive_while_their_owners_live()
    {
        const int scenarios = 16;
        const int dependents = 4;
        await Task.WhenAll(Enumerable.Range(0, scenarios).Select(_ => RunScenarioAsync(dependents)));
    }

    private async Task RunScenarioAsync(int dependents)
    {
        var group = "st" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        var backups = await CustomResources.ServeBackupsAsync(cluster.Client, group, Ct);
        var ns = await cluster.NamespaceAsync();
        var owner = await cluster.Client.CreateAsync(backups, ns, CustomResources.Backup(group, "nightly"), Ct);
        for (var i = 0; i < dependents; i++)
        {
            await cluster.Client.CreateAsync(ResourceRef.ConfigMaps, ns, CustomResources.OwnedConfigMap("data-" + i, owner), Ct);
        }

        // A dependent of a Backup that never existed, created last: once the collector has resolved the kind and
        // collected it, it has judged the kind's references; the live owner's dependents must all be there.
        var ghost = CustomResources.Backup(group, "ghost");
        ghost["metadata"]!["uid"] = Guid.NewGuid().ToString();
        await cluster.Client.CreateAsync(ResourceRef.ConfigMaps, ns, CustomResources.OwnedConfigMap("ghost-data", ghost), Ct);
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "ghost-data", Ct) is null, "the dependent of a missing Backup to be collected", seconds: 60);
        Assert.Equal(dependents, await CountOwnedAsync(ns));

        // And the collector does collect them once their owner goes.
        await cluster.Client.DeleteAsync(backups, ns, "nightly", Ct);
        await ClusterFixture.WaitAsync(async () => await CountOwnedAsync(ns) == 0, "the dependents to go with their owner", seconds: 60);
    }

    private async Task<int> CountOwnedAsync(string ns) =>
        (await cluster.Client.ListAsync(ResourceRef.ConfigMaps, ns, Ct))["items"]!.AsArray().OfType<JsonObject>().Count(c => c.GetString("metadata.name")!.StartsWith("data-", StringComparison.Ordinal));
}
