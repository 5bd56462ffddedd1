using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>Custom resources through the official C# client: every verb, a watch, validation errors, pruning and defaults.</summary>
public abstract partial class CustomResourceTests
{
    [Fact]
    public async Task The_csharp_client_drives_custom_resources_through_every_verb()
    {
        var client = server.Client;
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        var ns = server.NewNamespace();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: Token);
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = "widgets." + group },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = group,
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames { Plural = "widgets", Singular = "widget", Kind = "Widget", ListKind = "WidgetList" },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = "v1",
                        Served = true,
                        Storage = true,
                        Schema = new V1CustomResourceValidation
                        {
                            OpenAPIV3Schema = new V1JSONSchemaProps
                            {
                                Type = "object",
                                Properties = new Dictionary<string, V1JSONSchemaProps>
                                {
                                    ["spec"] = new()
                                    {
                                        Type = "object",
                                        Properties = new Dictionary<string, V1JSONSchemaProps>
                                        {
                                            ["size"] = new() { Type = "integer", Minimum = 0 },
                                            ["color"] = new() { Type = "string", EnumProperty = ["red", "blue"], DefaultProperty = "red" },
                                        },
                                    },
                                },
                            },
                        },
                    },
                ],
            },
        }, cancellationToken: Token);
        await Eventually.WaitAsync(async () =>
        {
            var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets." + group, cancellationToken: Token);
            return crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true;
        }, TimeSpan.FromSeconds(30), "the CRD to be Established");

        // A watch from the (empty) list's resourceVersion hears everything below, in order, however late it starts.
        var start = JsonSerializer.SerializeToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(group, "v1", ns, "widgets", cancellationToken: Token))!["metadata"]!["resourceVersion"]!.ToString();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var events = new List<string>();
        var watch = Task.Run(async () =>
        {
            try
            {
                await foreach (var (type, item) in client.CustomObjects.WatchListNamespacedCustomObjectAsync(group, "v1", ns, "widgets", resourceVersion: start, cancellationToken: watching.Token))
                {
                    var obj = JsonSerializer.SerializeToNode(item)!;
                    lock (events)
                    {
                        events.Add($"{type} {obj["metadata"]!["name"]} {obj["spec"]?["size"]}");
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, Token);

        JsonObject Widget(string name, string spec) => JsonNode.Parse($$"""{"apiVersion":"{{group}}/v1","kind":"Widget","metadata":{"name":"{{name}}"},"spec":{{spec}}}""")!.AsObject();
        async Task<JsonNode> GetAsync(string name) => JsonSerializer.SerializeToNode(await client.CustomObjects.GetNamespacedCustomObjectAsync(group, "v1", ns, "widgets", name, Token))!;

        // Create prunes what the schema does not name and fills in defaults.
        var created = JsonSerializer.SerializeToNode(await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("a", """{"size":1,"extra":true}"""), group, "v1", ns, "widgets", cancellationToken: Token))!;
        Assert.Equal("red", created["spec"]!["color"]!.ToString());
        Assert.Null(created["spec"]!["extra"]);
        Assert.Equal(1, (await GetAsync("a"))["spec"]!["size"]!.GetValue<int>());

        // Patches: merge, JSON and apply; then an update with the read resourceVersion.
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"size":2}}""", V1Patch.PatchType.MergePatch), group, "v1", ns, "widgets", "a", cancellationToken: Token);
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""[{"op":"replace","path":"/spec/size","value":3}]""", V1Patch.PatchType.JsonPatch), group, "v1", ns, "widgets", "a", cancellationToken: Token);
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(Widget("a", """{"size":4,"color":"blue"}""").ToJsonString(), V1Patch.PatchType.ApplyPatch), group, "v1", ns, "widgets", "a", fieldManager: "csharp", force: true, cancellationToken: Token);
        var applied = await GetAsync("a");
        Assert.Equal("blue", applied["spec"]!["color"]!.ToString());
        Assert.Contains(applied["metadata"]!["managedFields"]!.AsArray(), e => e!["manager"]!.ToString() == "csharp" && e["operation"]!.ToString() == "Apply");
        var replacement = applied.AsObject().DeepClone().AsObject();
        replacement["spec"]!["size"] = 5;
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(replacement, group, "v1", ns, "widgets", "a", cancellationToken: Token);
        Assert.Equal(5, (await GetAsync("a"))["spec"]!["size"]!.GetValue<int>());

        // A stale resourceVersion is a conflict; a value the schema refuses is 422 with the field's path.
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.ReplaceNamespacedCustomObjectAsync(replacement, group, "v1", ns, "widgets", "a", cancellationToken: Token));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("bad", """{"size":-1,"color":"green"}"""), group, "v1", ns, "widgets", cancellationToken: Token));
        Assert.Equal((HttpStatusCode)422, invalid.Response.StatusCode);
        var status = JsonNode.Parse(invalid.Response.Content)!;
        Assert.Equal(["spec.color", "spec.size"], status["details"]!["causes"]!.AsArray().Select(c => c!["field"]!.ToString()).Order(StringComparer.Ordinal));
        Assert.Contains("spec.size: Invalid value: -1: spec.size in body should be greater than or equal to 0", status["message"]!.ToString(), StringComparison.Ordinal);

        // Delete one, then a collection by label; the list is empty after.
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("b", """{"size":1}"""), group, "v1", ns, "widgets", cancellationToken: Token);
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(group, "v1", ns, "widgets", "a", cancellationToken: Token);
        var list = JsonSerializer.SerializeToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(group, "v1", ns, "widgets", cancellationToken: Token))!;
        Assert.Equal("WidgetList", list["kind"]!.ToString());
        Assert.Equal(["b"], list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()));
        await client.CustomObjects.DeleteCollectionNamespacedCustomObjectAsync(group, "v1", ns, "widgets", cancellationToken: Token);
        list = JsonSerializer.SerializeToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(group, "v1", ns, "widgets", cancellationToken: Token))!;
        Assert.Empty(list["items"]!.AsArray());

        string[] expected = ["Added a 1", "Modified a 2", "Modified a 3", "Modified a 4", "Modified a 5", "Added b 1", "Deleted a 5", "Deleted b 1"];
        await Eventually.WaitAsync(() =>
        {
            lock (events)
            {
                return Task.FromResult(events.Count >= expected.Length);
            }
        }, TimeSpan.FromSeconds(30), "every change to reach the C# client's watch");
        await watching.CancelAsync();
        await watch;
        lock (events)
        {
            Assert.Equal(expected, events);
        }

        await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets." + group, cancellationToken: Token);
    }
}
