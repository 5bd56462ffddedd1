namespace Monokube.Node.Certificates;

/// <summary>
/// When the kubelet renews a certificate: at a random point between 70% and 90% of its lifetime (NotBefore to
/// NotAfter), so that nodes that joined together do not all renew together.
/// </summary>
public static class RotationDeadline
{
    public const double Earliest = 0.7;
    public const double Latest = 0.9;

    /// <param name="jitter">A number in [0, 1): 0 is the earliest deadline, towards 1 the latest.</param>
    public static DateTimeOffset Compute(DateTimeOffset notBefore, DateTimeOffset notAfter, double jitter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jitter, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(jitter, 1);
        var lifetime = notAfter - notBefore;
        return notBefore + lifetime * (Earliest + ((Latest - Earliest) * jitter));
    }
}
