using System.Text;
using Monokube.ApiServer.Handlers;
using Monokube.ApiServer.Registry;
using Monokube.Storage;

namespace Monokube.ApiServer.Tests.Unit;

public sealed class WatchEventCacheTests
{
    private static readonly ResourceRegistry Registry = ResourceRegistry.CreateBuiltin();
    private static readonly ResourceDefinition Pods = Registry.Find("", "v1", "pods")!;
    private static readonly ResourceDefinition ConfigMaps = Registry.Find("", "v1", "configmaps")!;

    private static StoreEvent Modified(string key, string name, long revision) =>
        new(StoreEventType.Modified, key, Pod(name, "new"), Pod(name, "old"), revision);

    private static byte[] Pod(string name, string label) =>
        Encoding.UTF8.GetBytes("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"v\":\"" + label + "\"}}}");

    [Fact]
    public void A_change_is_decoded_once_for_every_watch_even_when_each_watch_has_its_own_copy_of_the_event()
    {
        var cache = new WatchEventCache();
        var first = cache.Get(Pods, Modified("/registry/pods/default/a", "a", 7));
        var second = cache.Get(Pods, Modified("/registry/pods/default/a", "a", 7));

        Assert.Same(first, second);
        Assert.Same(first.Current, second.Current);
        Assert.Equal("7", first.Current!["metadata"]!["resourceVersion"]!.ToString());
        Assert.Equal("new", first.Current["metadata"]!["labels"]!["v"]!.ToString());
        Assert.Equal("old", first.Previous!["metadata"]!["labels"]!["v"]!.ToString());
        Assert.Contains("\"resourceVersion\":\"7\"", Encoding.UTF8.GetString(first.CurrentJson!), StringComparison.Ordinal);
    }

    [Fact]
    public void Another_revision_key_or_resource_is_decoded_apart()
    {
        var cache = new WatchEventCache(size: 8);
        var pod = cache.Get(Pods, Modified("/registry/pods/default/a", "a", 7));

        Assert.NotSame(pod, cache.Get(Pods, Modified("/registry/pods/default/a", "a", 8)));
        Assert.NotSame(pod, cache.Get(ConfigMaps, Modified("/registry/pods/default/a", "a", 7)));
        var other = cache.Get(Pods, Modified("/registry/pods/default/b", "b", 7));
        Assert.Equal("b", other.Current!["metadata"]!["name"]!.ToString());

        // Revision 15 takes 7's slot in a ring of 8; 7 comes back decoded afresh and right.
        cache.Get(Pods, Modified("/registry/pods/default/c", "c", 15));
        Assert.Equal("a", cache.Get(Pods, Modified("/registry/pods/default/a", "a", 7)).Current!["metadata"]!["name"]!.ToString());
    }
}
