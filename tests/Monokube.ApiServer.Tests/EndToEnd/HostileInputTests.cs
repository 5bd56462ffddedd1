using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// Malformed, random, truncated, oversized, deeply nested and mistyped bodies, invalid names and selectors, sent
/// to every verb of several resources as the admin: every reply is a 4xx Status, the server stays up, and no stored
/// object changes.
/// </summary>
public sealed class HostileInputTests(SecureApiServerFixture server) : IClassFixture<SecureApiServerFixture>
{
    // RBAC names need only be valid path segments ("system:node" is one), so their invalid names differ.
    private sealed record Target(string Collection, string Item, string Kind, string ApiVersion, string[] InvalidNames);

    private static readonly string[] DnsInvalidNames = ["Bad_Name!", new string('a', 300), "a..b"];

    private sealed record Body(string What, string? ContentType, byte[] Bytes);

    [Fact]
    public async Task Hostile_requests_get_4xx_statuses_and_change_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var ns = server.NewNamespace();
        var suffix = ns[2..];
        await server.AdminAsync("create", "namespace", ns);
        await server.AdminAsync("create", "configmap", "target", "-n", ns, "--from-literal=a=b");
        await server.AdminAsync("create", "deployment", "target", "-n", ns, "--image=nginx");
        await server.AdminAsync("create", "clusterrole", "target-" + suffix, "--verb=get", "--resource=pods");
        await server.AdminAsync("create", "-f", Write("node", $$$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"target-{{{{suffix}}}}","labels":{"a":"b"}}}"""));

        Target[] targets =
        [
            new($"/api/v1/namespaces/{ns}/configmaps", "target", "ConfigMap", "v1", DnsInvalidNames),
            new($"/apis/apps/v1/namespaces/{ns}/deployments", "target", "Deployment", "apps/v1", DnsInvalidNames),
            new("/api/v1/namespaces", ns, "Namespace", "v1", ["Bad_Name!", new string('a', 64), "a.b"]),
            new("/apis/rbac.authorization.k8s.io/v1/clusterroles", "target-" + suffix, "ClusterRole", "rbac.authorization.k8s.io/v1", ["..", "a%b", "."]),
            new("/api/v1/nodes", "target-" + suffix, "Node", "v1", DnsInvalidNames),
        ];

        using var http = server.AdminHttp();
        var before = await SnapshotAsync(http, targets, ct);
        var failures = new List<string>();
        var sent = 0;

        async Task SendAsync(HttpMethod method, string path, Body? body)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body.Bytes);
                request.Content.Headers.ContentType = body.ContentType is null ? null : MediaTypeHeaderValue.Parse(body.ContentType);
            }

            sent++;
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            var code = (int)response.StatusCode;
            JsonNode? status = null;
            try
            {
                status = JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException)
            {
            }

            if (code is < 400 or >= 500 || status?["kind"]?.ToString() != "Status" || status["code"]?.GetValue<int>() != code)
            {
                failures.Add($"{method} {path} with {body?.What ?? "no body"}: {code} {text[..Math.Min(text.Length, 200)]}");
            }
        }

        foreach (var target in targets)
        {
            var item = target.Collection + "/" + target.Item;
            foreach (var body in ObjectBodies(target))
            {
                await SendAsync(HttpMethod.Post, target.Collection, body);
                await SendAsync(HttpMethod.Put, item, body);
            }

            foreach (var body in PatchBodies())
            {
                await SendAsync(HttpMethod.Patch, item, body);
            }

            foreach (var body in DeleteBodies())
            {
                await SendAsync(HttpMethod.Delete, item, body);
            }

            foreach (var query in BadQueries())
            {
                await SendAsync(HttpMethod.Get, target.Collection + "?" + query, null);
            }

            // Names that can never exist, in the body of a create and the path of every verb.
            foreach (var name in target.InvalidNames)
            {
                await SendAsync(HttpMethod.Post, target.Collection, new Body("the invalid name " + name, "application/json", Encoding.UTF8.GetBytes($$$"""{"apiVersion":"{{{target.ApiVersion}}}","kind":"{{{target.Kind}}}","metadata":{"name":"{{{name}}}"}}""")));

                // "." and ".." cannot be sent in a path (clients resolve them), so invalid path-segment names go in bodies only.
                if (name is "." or "..")
                {
                    continue;
                }

                var valid = Encoding.UTF8.GetBytes($$$"""{"apiVersion":"{{{target.ApiVersion}}}","kind":"{{{target.Kind}}}","metadata":{"name":"{{{name}}}"}}""");
                await SendAsync(HttpMethod.Put, target.Collection + "/" + name, new Body("a body for an invalid name", "application/json", valid));
                await SendAsync(HttpMethod.Patch, target.Collection + "/" + name, new Body("a merge patch", "application/merge-patch+json", "{}"u8.ToArray()));
                await SendAsync(HttpMethod.Delete, target.Collection + "/" + name, null);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} hostile requests were not answered with a 4xx Status:\n{string.Join('\n', failures.Take(30))}");
        Assert.True(sent > 500, $"only {sent} requests were sent");

        using var ready = await http.GetAsync("/readyz", ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var after = await SnapshotAsync(http, targets, ct);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task An_oversized_header_is_refused_and_the_server_stays_up()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = server.AdminHttp();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces");
        request.Headers.Add("X-Padding", new string('x', 2 * 1024 * 1024));
        try
        {
            using var response = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        }
        catch (HttpRequestException)
        {
            // The connection may be closed before the answer is read; the server must still be up.
        }

        using var ready = await http.GetAsync("/readyz", ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static IEnumerable<Body> ObjectBodies(Target target)
    {
        var random = new Random(target.Kind.Length * 7919);
        byte[] RandomBytes(int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        string Object(string metadata, string rest = "") =>
            $$$$"""{"apiVersion":"{{{{target.ApiVersion}}}}","kind":"{{{{target.Kind}}}}","metadata":{{{{metadata}}}}{{rest}}}""";

        yield return new("malformed JSON", "application/json", Encoding.UTF8.GetBytes("""{"metadata": {"name": "x" """));
        yield return new("random bytes as JSON", "application/json", RandomBytes(512));
        yield return new("random bytes as YAML", "application/yaml", RandomBytes(512));
        yield return new("random bytes as protobuf", "application/vnd.kubernetes.protobuf", RandomBytes(512));
        yield return new("protobuf magic then garbage", "application/vnd.kubernetes.protobuf", [.. "k8s\0"u8, .. RandomBytes(64)]);
        yield return new("truncated YAML", "application/yaml", Encoding.UTF8.GetBytes($"apiVersion: {target.ApiVersion}\nkind: {target.Kind}\nmetadata:\n  name: [unclosed\n  labels: {{a: "));
        yield return new("a YAML alias bomb", "application/yaml", Encoding.UTF8.GetBytes(YamlBomb()));
        yield return new("10 MiB", "application/json", Encoding.UTF8.GetBytes(Object("""{"name":"big"}""", $$""","data":{"a":"{{new string('x', 10 * 1024 * 1024)}}"}""")));
        yield return new("10,000-deep arrays", "application/json", Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000)));
        yield return new("10,000-deep objects", "application/json", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000)));
        yield return new("10,000-deep YAML", "application/yaml", Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000)));
        yield return new("JSON as text/plain", "text/plain", Encoding.UTF8.GetBytes(Object("""{"name":"plain"}""")));
        yield return new("JSON as application/xml", "application/xml", Encoding.UTF8.GetBytes(Object("""{"name":"xml"}""")));
        yield return new("no content type", null, Encoding.UTF8.GetBytes(Object("""{"name":"untyped"}""")));
        yield return new("an empty body", "application/json", []);
        yield return new("an array", "application/json", "[1,2,3]"u8.ToArray());
        yield return new("a string", "application/json", "\"configmap\""u8.ToArray());
        yield return new("null", "application/json", "null"u8.ToArray());
        yield return new("the wrong kind", "application/json", Encoding.UTF8.GetBytes($$$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"{{{target.Item}}}"}}"""));
        yield return new("a name of the wrong type", "application/json", Encoding.UTF8.GetBytes(Object("""{"name":["x"]}""")));
        yield return new("labels of the wrong type", "application/json", Encoding.UTF8.GetBytes(Object($$"""{"name":"{{target.Item}}","labels":["a"]}""")));
        yield return new("an invalid label value", "application/json", Encoding.UTF8.GetBytes(Object($$$"""{"name":"{{{target.Item}}}","labels":{"app":"-bad value-"}}""")));
        yield return new("an invalid label key", "application/json", Encoding.UTF8.GetBytes(Object($$$"""{"name":"{{{target.Item}}}","labels":{"bad key/with/slashes":"x"}}""")));
        yield return new("a stale resourceVersion", "application/json", Encoding.UTF8.GetBytes(Object($$"""{"name":"{{target.Item}}","resourceVersion":"1"}""")));
        yield return new("a non-numeric resourceVersion", "application/json", Encoding.UTF8.GetBytes(Object($$"""{"name":"{{target.Item}}","resourceVersion":"abc"}""")));
        yield return new("metadata of the wrong type", "application/json", Encoding.UTF8.GetBytes(Object("\"metadata\"")));
        yield return new("invalid UTF-8", "application/json", [.. Encoding.UTF8.GetBytes("{\"metadata\":{\"name\":\""), 0xC3, 0x28, .. "\"}}"u8]);
    }

    private static IEnumerable<Body> PatchBodies()
    {
        foreach (var type in new[] { "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml" })
        {
            yield return new($"malformed {type}", type, "{\"metadata\": {"u8.ToArray());
            yield return new($"random bytes as {type}", type, [0xFF, 0x00, 0x13, 0x37, 0x80]);
            yield return new($"10,000-deep {type}", type, Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000)));
            yield return new($"an invalid name through {type}", type, type == "application/json-patch+json"
                ? """[{"op":"replace","path":"/metadata/name","value":"Bad_Name"}]"""u8.ToArray()
                : """{"metadata":{"name":"Bad_Name"}}"""u8.ToArray());
            yield return new($"an invalid label through {type}", type, type == "application/json-patch+json"
                ? """[{"op":"add","path":"/metadata/labels","value":{"x":"-bad-"}}]"""u8.ToArray()
                : """{"metadata":{"labels":{"x":"-bad-"}}}"""u8.ToArray());
        }

        yield return new("a merge patch making metadata a string", "application/merge-patch+json", """{"metadata":"x"}"""u8.ToArray());
        yield return new("a merge patch making labels a list", "application/merge-patch+json", """{"metadata":{"labels":["x"]}}"""u8.ToArray());
        yield return new("an apply patch of the wrong types", "application/apply-patch+yaml", "metadata: [1, 2]\n"u8.ToArray());
        yield return new("a JSON patch test that fails", "application/json-patch+json", """[{"op":"test","path":"/metadata/name","value":"other"}]"""u8.ToArray());
        yield return new("a JSON patch with an unknown op", "application/json-patch+json", """[{"op":"explode","path":"/metadata"}]"""u8.ToArray());
        yield return new("a JSON patch removing what is not there", "application/json-patch+json", """[{"op":"remove","path":"/nothing/here"}]"""u8.ToArray());
        yield return new("a patch as text/plain", "text/plain", "{}"u8.ToArray());
        yield return new("a patch as plain JSON", "application/json", "{}"u8.ToArray());
        yield return new("a patch with no content type", null, "{}"u8.ToArray());
        yield return new("a 10 MiB merge patch", "application/merge-patch+json", Encoding.UTF8.GetBytes($$$$"""{"metadata":{"annotations":{"a":"{{{{new string('x', 10 * 1024 * 1024)}}}}"}}}"""));
    }

    private static IEnumerable<Body> DeleteBodies()
    {
        yield return new("malformed DeleteOptions", "application/json", "{\"propagationPolicy\": "u8.ToArray());
        yield return new("an unknown propagation policy", "application/json", """{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Sideways"}"""u8.ToArray());
        yield return new("a uid precondition that does not match", "application/json", """{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"not-the-uid"}}"""u8.ToArray());
        yield return new("a resourceVersion precondition that does not match", "application/json", """{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"1"}}"""u8.ToArray());
        yield return new("a body of another kind", "application/json", """{"kind":"Pod","apiVersion":"v1"}"""u8.ToArray());
        yield return new("random protobuf", "application/vnd.kubernetes.protobuf", [0x6B, 0x38, 0x73, 0x00, 0xFF, 0xFF]);
        yield return new("a 10 MiB DeleteOptions", "application/json", Encoding.UTF8.GetBytes($$"""{"kind":"DeleteOptions","apiVersion":"v1","x":"{{new string('x', 10 * 1024 * 1024)}}"}"""));
    }

    private static IEnumerable<string> BadQueries() =>
    [
        "labelSelector=a%20in%20(b",
        "labelSelector=!!",
        "labelSelector=a%3Db%3Dc",
        "labelSelector=" + new string('a', 70) + "%3Dx",
        "fieldSelector=spec.unknown%3Dx",
        "fieldSelector=metadata.name",
        "limit=-1",
        "limit=abc",
        "continue=not-a-token",
        "resourceVersion=abc",
        "resourceVersionMatch=Sometimes&resourceVersion=1",
        "watch=true&labelSelector=a%20in%20(b",
        "watch=true&timeoutSeconds=abc",
        "watch=true&resourceVersion=abc",
    ];

    private static string YamlBomb()
    {
        var yaml = new StringBuilder("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
        var previous = 'a';
        for (var c = 'b'; c <= 'j'; c++)
        {
            yaml.Append(c).Append(": &").Append(c).Append(" [");
            yaml.Append(string.Join(',', Enumerable.Repeat("*" + previous, 9)));
            yaml.Append("]\n");
            previous = c;
        }

        return yaml.ToString();
    }

    // Every object of the target resources, by name, with its resourceVersion: nothing may change.
    private static async Task<SortedDictionary<string, string>> SnapshotAsync(HttpClient http, IEnumerable<Target> targets, CancellationToken ct)
    {
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            var list = JsonNode.Parse(await http.GetStringAsync(target.Collection, ct))!;
            foreach (var item in list["items"]!.AsArray())
            {
                var meta = item!["metadata"]!;
                snapshot[target.Collection + "/" + meta["name"]] = meta["resourceVersion"]!.ToString();
            }
        }

        return snapshot;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(server.CertDir, "..", name + "-" + Guid.NewGuid().ToString("N")[..6] + ".json");
        File.WriteAllText(path, text);
        return path;
    }
}
