namespace Monokube.Node;

/// <summary>--runtime: how a node runs its pods.</summary>
public enum NodeRuntime
{
    /// <summary>Simulated containers: Pending, Running and Ready without running anything.</summary>
    Fake,

    /// <summary>Containers of images in the image map run as local processes; the others are simulated.</summary>
    Process,
}
