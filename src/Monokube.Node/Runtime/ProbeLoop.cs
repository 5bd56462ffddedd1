namespace Monokube.Node.Runtime;

/// <summary>
/// The probes of one run of a container: the startup probe until it succeeds (the run is Started then), after it
/// readiness (Ready after successThreshold successes, not after failureThreshold failures) and liveness (after
/// failureThreshold failures the run is marked Unhealthy and the pod worker restarts it), each on its period.
/// </summary>
internal sealed class ProbeLoop(ContainerRun run, Probe? startup, Probe? readiness, Probe? liveness, bool adopted, TimeProvider time, Action changed)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (startup is not null && !adopted)
            {
                if (!await UntilAsync(startup, cancellationToken))
                {
                    return;
                }
            }

            run.Started = true;
            if (readiness is null)
            {
                run.Ready = true;
            }

            changed();
            await Task.WhenAll(
                readiness is null ? Task.CompletedTask : ReadinessAsync(readiness, cancellationToken),
                liveness is null ? Task.CompletedTask : LivenessAsync(liveness, cancellationToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The startup probe: true once it succeeds; false (the run marked Unhealthy) after failureThreshold failures.
    private async Task<bool> UntilAsync(Probe probe, CancellationToken cancellationToken)
    {
        await Task.Delay(probe.InitialDelay, time, cancellationToken);
        for (var failures = 0; ;)
        {
            var failure = await probe.RunAsync(cancellationToken);
            if (failure is null)
            {
                return true;
            }

            if (++failures >= probe.FailureThreshold)
            {
                run.Unhealthy = "Startup probe failed: " + failure;
                changed();
                return false;
            }

            await Task.Delay(probe.Period, time, cancellationToken);
        }
    }

    private async Task ReadinessAsync(Probe probe, CancellationToken cancellationToken)
    {
        await Task.Delay(adopted ? TimeSpan.Zero : probe.InitialDelay, time, cancellationToken);
        int successes = 0, failures = 0;
        while (true)
        {
            var failure = await probe.RunAsync(cancellationToken);
            successes = failure is null ? successes + 1 : 0;
            failures = failure is null ? 0 : failures + 1;
            var ready = run.Ready;
            if (successes >= probe.SuccessThreshold)
            {
                ready = true;
            }
            else if (failures >= probe.FailureThreshold)
            {
                ready = false;
            }

            if (ready != run.Ready)
            {
                run.Ready = ready;
                changed();
            }

            await Task.Delay(probe.Period, time, cancellationToken);
        }
    }

    private async Task LivenessAsync(Probe probe, CancellationToken cancellationToken)
    {
        await Task.Delay(adopted ? probe.Period : probe.InitialDelay, time, cancellationToken);
        for (var failures = 0; ;)
        {
            var failure = await probe.RunAsync(cancellationToken);
            failures = failure is null ? 0 : failures + 1;
            if (failures >= probe.FailureThreshold)
            {
                run.Unhealthy = "Liveness probe failed: " + failure;
                changed();
                return;
            }

            await Task.Delay(probe.Period, time, cancellationToken);
        }
    }
}
