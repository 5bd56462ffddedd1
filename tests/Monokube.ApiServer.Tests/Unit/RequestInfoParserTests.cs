using Monokube.ApiServer.Requests;

namespace Monokube.ApiServer.Tests.Unit;

public sealed class RequestInfoParserTests
{
    [Theory]
    [InlineData("GET", "/api/v1/namespaces/ns/pods", "list", "", "v1", "ns", "pods", null, null)]
    [InlineData("GET", "/api/v1/namespaces/ns/pods/p", "get", "", "v1", "ns", "pods", "p", null)]
    [InlineData("PUT", "/api/v1/namespaces/ns/pods/p/status", "update", "", "v1", "ns", "pods", "p", "status")]
    [InlineData("GET", "/api/v1/namespaces/ns", "get", "", "v1", "ns", "namespaces", "ns", null)]
    [InlineData("PUT", "/api/v1/namespaces/ns/finalize", "update", "", "v1", "ns", "namespaces", "ns", "finalize")]
    [InlineData("GET", "/apis/apps/v1/deployments", "list", "apps", "v1", null, "deployments", null, null)]
    [InlineData("DELETE", "/apis/apps/v1/namespaces/ns/deployments", "deletecollection", "apps", "v1", "ns", "deployments", null, null)]
    [InlineData("GET", "/api/v1/watch/namespaces/ns/pods", "watch", "", "v1", "ns", "pods", null, null)]
    [InlineData("PATCH", "/api/v1/nodes/n1/status", "patch", "", "v1", null, "nodes", "n1", "status")]
    public void Paths_parse_as_kube_apiserver_parses_them(string method, string path, string verb, string group, string version, string? ns, string resource, string? name, string? sub)
    {
        var info = RequestInfoParser.Parse(method, path, watchQuery: false);
        Assert.True(info.IsResourceRequest);
        Assert.Equal((verb, group, version, ns, resource, name, sub), (info.Verb, info.Group, info.Version, info.Namespace, info.Resource, info.Name, info.Subresource));
    }

    [Theory]
    [InlineData("/api")]
    [InlineData("/apis")]
    [InlineData("/api/v1")]
    [InlineData("/apis/apps")]
    [InlineData("/apis/apps/v1")]
    [InlineData("/healthz")]
    public void Discovery_and_other_paths_are_not_resource_requests(string path)
    {
        Assert.False(RequestInfoParser.Parse("GET", path, false).IsResourceRequest);
    }

    [Fact]
    public void The_watch_query_makes_a_get_a_watch()
    {
        Assert.Equal("watch", RequestInfoParser.Parse("GET", "/api/v1/pods", watchQuery: true).Verb);
    }
}
