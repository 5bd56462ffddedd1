using System.Text.Json.Nodes;
using Monokube.ApiServer.Security.Authorization;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>What the node authorizer keeps of each pod: identity, node, service account and the names it refers to.</summary>
public sealed class NodeAuthorizerPodCacheTests
{
    [Fact]
    public void A_pod_is_kept_as_its_identity_node_service_account_and_referenced_names()
    {
        var pod = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","uid":"u-1","labels":{"app":"web"}},
             "spec":{"nodeName":"worker-1","serviceAccount":"legacy",
               "imagePullSecrets":[{"name":"pull"}],
               "initContainers":[{"name":"init","image":"busybox","envFrom":[{"configMapRef":{"name":"init-env"}}]}],
               "containers":[{"name":"c","image":"nginx","env":[{"name":"A","valueFrom":{"secretKeyRef":{"name":"api-key","key":"k"}}},
                                                               {"name":"B","value":"plain"}]}],
               "volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data"}},
                          {"name":"conf","configMap":{"name":"conf"}},
                          {"name":"all","projected":{"sources":[{"secret":{"name":"projected"}},{"serviceAccountToken":{"path":"token"}}]}}]},
             "status":{"phase":"Running"}}
            """)!.AsObject();

        var kept = NodeAuthorizer.WhatItReadsOfAPod(pod);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"metadata":{"name":"web","namespace":"shop","uid":"u-1"},
             "spec":{"nodeName":"worker-1","serviceAccountName":"legacy"},
             "secrets":"projected\npull\napi-key","configmaps":"conf\ninit-env","persistentvolumeclaims":"data"}
            """), kept), kept.ToJsonString());
    }

    [Fact]
    public void An_unbound_pod_without_references_keeps_no_names()
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p","namespace":"n"},"spec":{"containers":[{"name":"c","image":"x"}]}}""")!.AsObject();

        var kept = NodeAuthorizer.WhatItReadsOfAPod(pod);

        Assert.Equal("""{"metadata":{"name":"p","namespace":"n"},"spec":{"nodeName":null,"serviceAccountName":null}}""", kept.ToJsonString());
    }
}
