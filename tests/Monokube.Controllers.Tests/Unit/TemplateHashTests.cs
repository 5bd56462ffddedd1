using System.Text.Json.Nodes;
using Monokube.Controllers.Hashing;

namespace Monokube.Controllers.Tests.Unit;

/// <summary>
/// Template hashes and DaemonSet revision data against vectors computed by kube-controller-manager 1.33's own code
/// (ComputeHash and getPatch over k8s.io/api v0.33 types), for defaulted templates as kube-apiserver stores them.
/// </summary>
public sealed class TemplateHashTests
{
    private const string A = """{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}}""";

    private const string B = """{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"64Mi"}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}}""";

    private const string C = """{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"volumes":[{"name":"config","configMap":{"name":"web-config","defaultMode":420}}],"containers":[{"name":"nginx","image":"nginx:1.25","env":[{"name":"FOO","value":"bar"}],"resources":{},"volumeMounts":[{"name":"config","mountPath":"/etc/config"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"},{"name":"sidecar","image":"busybox:1.36","command":["sh","-c","sleep 3600"],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","nodeSelector":{"kubernetes.io/os":"linux"},"securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node-role.kubernetes.io/control-plane","operator":"Exists","effect":"NoSchedule"}]}}""";

    public static TheoryData<string, string, string> Vectors => new()
    {
        { A, "7b84c5f95f", "8457ff79bb" },
        { B, "75888f6477", "56ff475484" },
        { C, "774967d54d", "f65ccf897" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void The_pod_template_hash_is_kube_controller_managers(string template, string withoutCollisions, string afterOneCollision)
    {
        var obj = JsonNode.Parse(template)!.AsObject();
        Assert.Equal(withoutCollisions, TemplateHash.Compute(obj, null));
        Assert.Equal(afterOneCollision, TemplateHash.Compute(obj, 1));
    }

    [Fact]
    public void Fields_the_server_omits_hash_as_their_go_zero_values()
    {
        // The same template as kube-apiserver serves it without the empty resources and the null creationTimestamp.
        var served = JsonNode.Parse(A)!.AsObject();
        served["metadata"]!.AsObject().Remove("creationTimestamp");
        served["spec"]!["containers"]![0]!.AsObject().Remove("resources");
        served["spec"]!["tolerations"] = new JsonArray();
        Assert.Equal("7b84c5f95f", TemplateHash.Compute(served, null));
    }

    [Fact]
    public void Daemonset_revision_data_is_the_template_patch_kube_writes()
    {
        Assert.Equal(
            """{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"nginx","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}}""",
            TemplateHash.DaemonSetRevisionData(JsonNode.Parse(A)!.AsObject()));
        Assert.Equal(
            """{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"env":[{"name":"FOO","value":"bar"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"nginx","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","volumeMounts":[{"mountPath":"/etc/config","name":"config"}]},{"command":["sh","-c","sleep 3600"],"image":"busybox:1.36","imagePullPolicy":"IfNotPresent","name":"sidecar","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","nodeSelector":{"kubernetes.io/os":"linux"},"restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30,"tolerations":[{"effect":"NoSchedule","key":"node-role.kubernetes.io/control-plane","operator":"Exists"}],"volumes":[{"configMap":{"defaultMode":420,"name":"web-config"},"name":"config"}]}}}}""",
            TemplateHash.DaemonSetRevisionData(JsonNode.Parse(C)!.AsObject()));
    }

    [Theory]
    [InlineData("100m", "100m", 100, -3, "100m", "DecimalSI")]
    [InlineData("64Mi", "64Mi", 67108864, 0, "", "BinarySI")]
    [InlineData("100Mi", "100Mi", 104857600, 0, "100Mi", "BinarySI")]
    [InlineData("0.5", "500m", 500, -3, "500m", "DecimalSI")]
    [InlineData("1000", "1k", 1, 3, "1k", "DecimalSI")]
    [InlineData("1500", "1500", 1500, 0, "1500", "DecimalSI")]
    [InlineData("1.5Gi", "1536Mi", 1610612736, 0, "", "BinarySI")]
    [InlineData("512", "512", 512, 0, "512", "DecimalSI")]
    [InlineData("1e3", "1e3", 1, 3, "1e3", "DecimalExponent")]
    [InlineData("0", "0", 0, 0, "0", "DecimalSI")]
    public void Quantities_canonicalise_and_parse_as_go_does(string text, string canonical, long value, int scale, string cached, string format)
    {
        Assert.Equal(canonical, GoQuantity.Canonical(text));
        Assert.Equal(new GoQuantity(value, scale, cached, format), GoQuantity.FromStored(text));
    }

    [Fact]
    public void Resource_lists_are_rounded_up_to_milli_units()
    {
        Assert.Equal("1m", GoQuantity.Canonical("100u", -3));
        Assert.Equal("100u", GoQuantity.Canonical("100u"));
    }
}
