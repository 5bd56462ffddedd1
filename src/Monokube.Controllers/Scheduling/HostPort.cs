namespace Monokube.Controllers.Scheduling;

/// <summary>A host port a container asks for; an empty or 0.0.0.0 address is every address.</summary>
public readonly record struct HostPort(long Port, string Protocol, string Ip)
{
    public bool ConflictsWith(HostPort other) =>
        Port == other.Port && Protocol == other.Protocol && (Ip == other.Ip || Ip is "" or "0.0.0.0" || other.Ip is "" or "0.0.0.0");
}
