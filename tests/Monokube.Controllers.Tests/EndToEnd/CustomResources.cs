using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.TestSupport;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>A namespaced custom resource, Backup, in a group of the test's own, and objects it owns.</summary>
internal static class CustomResources
{
    public static readonly ResourceRef Crds = new("apiextensions.k8s.io", "v1", "customresourcedefinitions", false);

    /// <summary>Creates the Backup CRD of <paramref name="group"/> and returns its resource once it is served.</summary>
    public static async Task<ResourceRef> ServeBackupsAsync(KubeClient client, string group, CancellationToken cancellationToken)
    {
        var crd = JsonNode.Parse($$"""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"backups.{{group}}"},
             "spec":{"group":"{{group}}","scope":"Namespaced","names":{"plural":"backups","singular":"backup","kind":"Backup"},
              "versions":[{"name":"v1","served":true,"storage":true,
                "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true} } }] } }
            """)!.AsObject();
        await client.CreateAsync(Crds, null, crd, cancellationToken);
        var backups = new ResourceRef(group, "v1", "backups", true);
        await Eventually.WaitAsync(
            async () => (await client.GetAsync(Crds, null, "backups." + group, cancellationToken))?.Find("status.conditions") is JsonArray conditions
                && conditions.OfType<JsonObject>().Any(c => c.GetString("type") == "Established" && c.GetString("status") == "True"),
            TimeSpan.FromSeconds(30), "the Backup CRD to be Established");
        return backups;
    }

    public static JsonObject Backup(string group, string name) => new()
    {
        ["apiVersion"] = group + "/v1",
        ["kind"] = "Backup",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["schedule"] = "@daily" },
    };

    /// <summary>A ConfigMap whose controller is <paramref name="owner"/> (blocking its foreground deletion).</summary>
    public static JsonObject OwnedConfigMap(string name, JsonObject owner) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["ownerReferences"] = new JsonArray((JsonNode)new JsonObject
            {
                ["apiVersion"] = owner.GetString("apiVersion"),
                ["kind"] = owner.GetString("kind"),
                ["name"] = owner.GetString("metadata.name"),
                ["uid"] = owner.GetString("metadata.uid"),
                ["controller"] = true,
                ["blockOwnerDeletion"] = true,
            }),
        },
        ["data"] = new JsonObject { ["backup"] = owner.GetString("metadata.name") },
    };
}
