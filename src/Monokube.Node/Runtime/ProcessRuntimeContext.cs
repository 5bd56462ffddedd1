using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;

namespace Monokube.Node.Runtime;

/// <summary>What every pod worker of one node shares: the API, the node, the image map and where pods live.</summary>
internal sealed class ProcessRuntimeContext
{
    /// <summary>The API; null when the node runs static pods only (--runonce).</summary>
    public required KubeClient? Client { get; init; }

    /// <summary>The Node's uid, which mirror pods name as their owner.</summary>
    public string NodeUid { get; set; } = "";

    public required NodeAgentOptions Options { get; init; }

    public required ImageMap Images { get; init; }

    public required string NodeName { get; init; }

    /// <summary>&lt;root-dir&gt;/pods: one directory per pod uid, holding its volumes and its containers' runs.</summary>
    public required string PodsDirectory { get; init; }

    public required TimeProvider Time { get; init; }

    public required ILogger Logger { get; init; }

    /// <summary>The address of the pod IP of a pod that is not on the host network (the fake pod range).</summary>
    public required Func<string> NextPodIp { get; init; }
}
