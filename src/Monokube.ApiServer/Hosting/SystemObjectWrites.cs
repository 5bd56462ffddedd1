using Monokube.Storage;

namespace Monokube.ApiServer.Hosting;

/// <summary>
/// Creates the objects a start writes (the system namespaces, the default RBAC policy) all at once, leaving any that
/// exist as they are. On etcd each create is a round trip, and a new cluster's first start writes 131 of them before it
/// is ready; the memory store completes each create as it is called, so for it this is the plain loop.
/// </summary>
internal static class SystemObjectWrites
{
    public static async Task CreateMissingAsync(IObjectStore store, IEnumerable<(string Key, byte[] Value)> objects, CancellationToken cancellationToken)
    {
        List<Task>? pending = null;
        foreach (var (key, value) in objects)
        {
            var write = store.CreateAsync(key, value, cancellationToken);
            if (write.IsCompletedSuccessfully)
            {
                write.GetAwaiter().GetResult();
            }
            else
            {
                (pending ??= []).Add(write.AsTask());
            }
        }

        if (pending is not null)
        {
            await Task.WhenAll(pending);
        }
    }
}
