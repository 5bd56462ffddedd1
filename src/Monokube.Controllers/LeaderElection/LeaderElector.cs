using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.LeaderElection;

/// <summary>The timings of leader election (kube-controller-manager's --leader-elect-* flags).</summary>
public sealed record LeaderElectionOptions(string Namespace, string Name, string Identity)
{
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>kube's identity format: the host name, an underscore and a random UUID.</summary>
    public static string NewIdentity() => Environment.MachineName + "_" + Guid.NewGuid();
}

/// <summary>
/// Leader election on a coordination.k8s.io Lease in the format client-go writes (holderIdentity,
/// leaseDurationSeconds, acquireTime, renewTime, leaseTransitions), so monokube and a real kube-controller-manager
/// or kube-scheduler contending for the same Lease never lead at once. A lease counts as held while its record has
/// not changed for leaseDurationSeconds by this process's clock (as client-go judges, immune to clock skew); a
/// leader that cannot renew within the renew deadline stops leading; a leader that stops releases the Lease.
/// </summary>
public sealed partial class LeaderElector(KubeClient client, LeaderElectionOptions options, TimeProvider time, ILogger logger)
{
    private string? _observedRecord;
    private DateTimeOffset _observedTime;
    private long _renewedAtMs;

    public bool IsLeader { get; private set; }

    /// <summary>
    /// The leader-election health check of kube's components: failing only when this process leads but has not
    /// renewed the Lease for longer than the lease duration plus <paramref name="tolerance"/> (it should have stepped
    /// down); a standby is healthy. Returns null when healthy, otherwise why not.
    /// </summary>
    public string? Check(TimeSpan tolerance)
    {
        if (!IsLeader)
        {
            return null;
        }

        var renewed = DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _renewedAtMs));
        return time.GetUtcNow() - renewed > options.LeaseDuration + tolerance ? $"failed election to renew leadership on lease {options.Name}" : null;
    }

    /// <summary>Raised when leadership is gained (true) or lost (false).</summary>
    public event Action<bool>? LeadershipChanged;

    /// <summary>
    /// Campaigns until cancelled; while leading, runs <paramref name="lead"/> with a token cancelled when leadership
    /// is lost, then campaigns again. On cancellation a held Lease is released, also when the stop cut a request to
    /// take or renew it short (the API may have written it all the same).
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        var mayHold = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            bool acquired;
            try
            {
                acquired = await TryAcquireOrRenewAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                mayHold = true;
                break;
            }

            if (!acquired)
            {
                await DelayAsync(options.RetryPeriod, cancellationToken);
                continue;
            }

            SetLeader(true);
            LogLeading(logger, options.Namespace, options.Name, options.Identity);
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var work = Task.Run(() => lead(leading.Token), CancellationToken.None);
            try
            {
                await RenewUntilLostAsync(leading.Token);
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
            }

            await leading.CancelAsync();
            try
            {
                await work;
            }
            catch (OperationCanceledException)
            {
            }

            SetLeader(false);
            if (cancellationToken.IsCancellationRequested)
            {
                mayHold = true;
                break;
            }

            LogLost(logger, options.Namespace, options.Name);
        }

        if (mayHold)
        {
            await ReleaseAsync();
        }
    }

    private async Task RenewUntilLostAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await DelayAsync(options.RetryPeriod, cancellationToken);
            var deadline = time.GetUtcNow() + options.RenewDeadline;
            var renewed = false;
            while (!cancellationToken.IsCancellationRequested && time.GetUtcNow() < deadline)
            {
                if (await TryAcquireOrRenewAsync(cancellationToken))
                {
                    renewed = true;
                    break;
                }

                await DelayAsync(options.RetryPeriod, cancellationToken);
            }

            if (!renewed)
            {
                return;
            }
        }
    }

    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        try
        {
            var lease = await client.GetAsync(ResourceRef.Leases, options.Namespace, options.Name, cancellationToken);
            if (lease is null)
            {
                await client.CreateAsync(ResourceRef.Leases, options.Namespace, NewLease(now, transitions: 0), cancellationToken);
                Observe(null, now);
                Interlocked.Exchange(ref _renewedAtMs, now.ToUnixTimeMilliseconds());
                return true;
            }

            var spec = lease["spec"] as JsonObject ?? [];
            var holder = spec.GetString("holderIdentity") ?? "";
            Observe(spec.ToJsonString(), now);
            var duration = TimeSpan.FromSeconds(spec.GetLong("leaseDurationSeconds") ?? 0);
            if (holder.Length > 0 && holder != options.Identity && _observedTime + duration > now)
            {
                return false;
            }

            var transitions = spec.GetLong("leaseTransitions") ?? 0;
            var acquired = holder == options.Identity;
            spec["holderIdentity"] = options.Identity;
            spec["leaseDurationSeconds"] = (long)options.LeaseDuration.TotalSeconds;
            spec["renewTime"] = KubeTime.FormatMicro(now);
            if (!acquired)
            {
                spec["acquireTime"] = KubeTime.FormatMicro(now);
                spec["leaseTransitions"] = transitions + 1;
            }

            lease["spec"] = spec;
            var updated = await client.UpdateAsync(ResourceRef.Leases, lease, cancellationToken);
            Observe(updated["spec"]?.ToJsonString(), now);
            Interlocked.Exchange(ref _renewedAtMs, now.ToUnixTimeMilliseconds());
            return true;
        }
        catch (KubeApiException e) when (!cancellationToken.IsCancellationRequested)
        {
            // A conflict means someone else wrote first; anything else is a failed attempt. Either way: not now.
            LogAttemptFailed(logger, options.Namespace, options.Name, e.Message);
            return false;
        }
    }

    // Gives the Lease up at once (holderIdentity cleared, a 1 s duration), so a standby can take over without
    // waiting out the lease, as client-go's ReleaseOnCancel does.
    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(options.RenewDeadline);
        try
        {
            var lease = await client.GetAsync(ResourceRef.Leases, options.Namespace, options.Name, timeout.Token);
            if (lease?["spec"] is not JsonObject spec || spec.GetString("holderIdentity") != options.Identity)
            {
                return;
            }

            var now = time.GetUtcNow();
            spec["holderIdentity"] = "";
            spec["leaseDurationSeconds"] = 1;
            spec["acquireTime"] = KubeTime.FormatMicro(now);
            spec["renewTime"] = KubeTime.FormatMicro(now);
            await client.UpdateAsync(ResourceRef.Leases, lease, timeout.Token);
            LogReleased(logger, options.Namespace, options.Name);
        }
        catch (Exception e) when (e is KubeApiException or OperationCanceledException)
        {
            LogAttemptFailed(logger, options.Namespace, options.Name, "release: " + e.Message);
        }
    }

    private JsonObject NewLease(DateTimeOffset now, long transitions) => new()
    {
        ["apiVersion"] = "coordination.k8s.io/v1",
        ["kind"] = "Lease",
        ["metadata"] = new JsonObject { ["name"] = options.Name, ["namespace"] = options.Namespace },
        ["spec"] = new JsonObject
        {
            ["holderIdentity"] = options.Identity,
            ["leaseDurationSeconds"] = (long)options.LeaseDuration.TotalSeconds,
            ["acquireTime"] = KubeTime.FormatMicro(now),
            ["renewTime"] = KubeTime.FormatMicro(now),
            ["leaseTransitions"] = transitions,
        },
    };

    // The record's age is measured from when this process last saw it change.
    private void Observe(string? record, DateTimeOffset now)
    {
        if (record != _observedRecord)
        {
            _observedRecord = record;
            _observedTime = now;
        }
    }

    private void SetLeader(bool leading)
    {
        IsLeader = leading;
        LeadershipChanged?.Invoke(leading);
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        Task.Delay(delay, time, cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

    [LoggerMessage(EventId = 7201, Level = LogLevel.Information, Message = "leading as {Identity} (lease {Namespace}/{Name})")]
    private static partial void LogLeading(ILogger logger, string @namespace, string name, string identity);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Warning, Message = "lost the lease {Namespace}/{Name}; campaigning again")]
    private static partial void LogLost(ILogger logger, string @namespace, string name);

    [LoggerMessage(EventId = 7203, Level = LogLevel.Information, Message = "released the lease {Namespace}/{Name}")]
    private static partial void LogReleased(ILogger logger, string @namespace, string name);

    [LoggerMessage(EventId = 7204, Level = LogLevel.Debug, Message = "lease {Namespace}/{Name}: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string @namespace, string name, string reason);
}
