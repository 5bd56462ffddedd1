using System.Diagnostics;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers;
using Monokube.Controllers.Client;

namespace Monokube.Testing;

public sealed partial class MonokubeCluster
{
    /// <summary>
    /// Waits until the object satisfies <paramref name="predicate"/>, watching it (no polling) from its current state,
    /// and returns it. The object need not exist yet. <paramref name="kind"/> is a kind (<c>Deployment</c>) or a plural
    /// resource (<c>deployments</c>); <paramref name="ns"/> is ignored for cluster-scoped kinds and defaults to
    /// <c>default</c> for namespaced ones.
    /// </summary>
    /// <exception cref="TimeoutException">Not satisfied within <paramref name="timeout"/> (default: <see cref="MonokubeClusterOptions.DefaultTimeout"/>); the message shows the object's last state.</exception>
    public async Task<JsonObject> WaitForAsync(string apiVersion, string kind, string? ns, string name, Func<JsonObject, bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var limit = timeout ?? _options.DefaultTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        var clock = Stopwatch.StartNew();
        JsonObject? last = null;
        try
        {
            var resource = await ResolveAsync(apiVersion, kind, deadline.Token);
            ns = resource.Namespaced ? ns ?? "default" : null;
            var selector = "metadata.name=" + name;
            while (true)
            {
                var list = await _api.ListAsync(resource, ns, deadline.Token, fieldSelector: selector);
                last = (list["items"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault();
                if (last is not null && predicate(last))
                {
                    return last;
                }

                var remaining = limit - clock.Elapsed;
                try
                {
                    await foreach (var change in _api.WatchAsync(resource, ns, list.GetString("metadata.resourceVersion") ?? "0",
                        TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(remaining.TotalSeconds))), deadline.Token, fieldSelector: selector))
                    {
                        if (change.Type is "ADDED" or "MODIFIED")
                        {
                            last = change.Object;
                            if (predicate(last))
                            {
                                return last;
                            }
                        }
                        else if (change.Type == "DELETED")
                        {
                            last = null;
                        }
                    }
                }
                catch (KubeApiException e) when (e.IsGone)
                {
                    // The history moved on: list again.
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var where = ns is null ? name : ns + "/" + name;
            throw new TimeoutException($"{kind} {where} was not as expected within {limit.TotalSeconds:0.###}s; last seen: {Describe(last)}");
        }
    }

    /// <summary>
    /// Waits until the object has the status condition <paramref name="conditionType"/> with <paramref name="status"/>
    /// (as <c>kubectl wait --for=condition=Type</c>): a Deployment <c>Available</c>, a Node <c>Ready</c>, a pod <c>Ready</c>.
    /// </summary>
    /// <exception cref="TimeoutException">Not so within the timeout.</exception>
    public Task<JsonObject> WaitForConditionAsync(string apiVersion, string kind, string? ns, string name, string conditionType, string status = "True", TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync(apiVersion, kind, ns, name, obj => Conditions.Find(obj, conditionType)?.GetString("status") == status, timeout, cancellationToken);

    /// <summary>Waits until the CustomResourceDefinition is Established, so its custom resources are served.</summary>
    /// <exception cref="TimeoutException">Not so within the timeout.</exception>
    public Task<JsonObject> WaitForCrdEstablishedAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForConditionAsync(ApiExtensionsV1, "CustomResourceDefinition", null, name, "Established", "True", timeout, cancellationToken);

    private static string Describe(JsonObject? obj)
    {
        if (obj is null)
        {
            return "it does not exist";
        }

        var text = obj["status"]?.ToJsonString() is { } status ? "status " + status : "no status";
        return text.Length > 1000 ? text[..1000] + "..." : text;
    }
}
