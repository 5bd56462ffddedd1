using System.Net;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Serialization;
using Monokube.ApiServer.Validation;
using Monokube.Storage;

namespace Monokube.ApiServer.Services;

/// <summary>
/// Allocates Service cluster IPs as kube-apiserver 1.33 does: each allocated IP is an IPAddress object
/// (networking.k8s.io/v1, /registry/ipaddresses/&lt;ip&gt;) naming its Service, created atomically, so two servers on
/// one etcd (monokube and the managed kube-apiserver during the pivot) never hand out the same address.
/// The first address of the range is left for the kubernetes Service.
/// </summary>
public sealed class ClusterIpAllocator(IObjectStore store, ServiceIpRange range, TimeProvider time)
{
    public ServiceIpRange Range { get; } = range;

    /// <summary>Reserves the requested IP, or a random free one; returns it. Dry runs only look for a free one.</summary>
    public async Task<string> AllocateAsync(string? requested, string ns, string name, bool dryRun, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(requested))
        {
            if (!IPAddress.TryParse(requested, out var ip) || !Range.Contains(ip, out _))
            {
                throw Invalid(name, requested, $"failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. The range of valid IPs is {Range}");
            }

            if (!dryRun && !await TryReserveAsync(ip.ToString(), ns, name, cancellationToken))
            {
                throw Invalid(name, requested, $"failed to allocate IP {requested}: provided IP is already allocated");
            }

            return ip.ToString();
        }

        // The first usable address belongs to the kubernetes Service.
        var first = 2L;
        var count = Range.Size - 1 - first;
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var candidate = Range.At(first + Random.Shared.NextInt64(count)).ToString();
            if (dryRun ? !(await store.GetAsync(Key(candidate), cancellationToken)).IsOk : await TryReserveAsync(candidate, ns, name, cancellationToken))
            {
                return candidate;
            }
        }

        // A crowded range: walk it in order for a free address.
        for (var offset = first; offset < Range.Size - 1; offset++)
        {
            var candidate = Range.At(offset).ToString();
            if (dryRun ? !(await store.GetAsync(Key(candidate), cancellationToken)).IsOk : await TryReserveAsync(candidate, ns, name, cancellationToken))
            {
                return candidate;
            }
        }

        throw Invalid(name, "", $"failed to allocate a serviceIP: range is full ({Range})");
    }

    /// <summary>Reserves exactly this IP (the kubernetes Service's first address).</summary>
    public Task<bool> TryReserveAsync(string ip, string ns, string name, CancellationToken cancellationToken) =>
        CreateAsync(ip, ns, name, cancellationToken);

    public async Task ReleaseAsync(string? ip, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(ip) && ip != "None")
        {
            await store.DeleteAsync(Key(ip), Preconditions.None, cancellationToken);
        }
    }

    private async Task<bool> CreateAsync(string ip, string ns, string name, CancellationToken cancellationToken)
    {
        var address = new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "IPAddress",
            ["metadata"] = new JsonObject
            {
                ["name"] = ip,
                ["uid"] = Guid.NewGuid().ToString(),
                ["creationTimestamp"] = KubeTime.Format(time.GetUtcNow()),
                ["labels"] = new JsonObject
                {
                    ["ipaddress.kubernetes.io/ip-family"] = "IPv4",
                    ["ipaddress.kubernetes.io/managed-by"] = "ipallocator.k8s.io",
                },
            },
            ["spec"] = new JsonObject
            {
                ["parentRef"] = new JsonObject { ["group"] = "", ["resource"] = "services", ["namespace"] = ns, ["name"] = name },
            },
        };
        var result = await store.CreateAsync(Key(ip), JsonOutput.ToBytes(address), cancellationToken);
        return result.IsOk;
    }

    private static string Key(string ip) => "/ipaddresses/" + ip;

    private static ApiException Invalid(string name, string value, string detail) => new(new Status
    {
        Message = $"Service \"{name}\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{value}\"}}: {detail}",
        Reason = "Invalid",
        Details = new StatusDetails { Name = name, Kind = "Service", Causes = [FieldErrors.Invalid("spec.clusterIPs", value, detail)] },
        Code = 422,
    });
}
