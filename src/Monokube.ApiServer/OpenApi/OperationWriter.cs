using System.Text.Json;
using Monokube.ApiServer.Registry;

namespace Monokube.ApiServer.OpenApi;

/// <summary>Writes the path items and operations of one resource, in OpenAPI v3 or v2 form.</summary>
internal sealed class OperationWriter(SchemaWriter schemas, bool v3)
{
    private static readonly string[] ResponseTypes = ["application/json", "application/yaml"];
    private static readonly string[] PatchTypes = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"];

    // Custom resources take no strategic merge patches.
    private static readonly string[] CustomResourcePatchTypes = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"];

    private static readonly (string Name, string Type, string Description)[] ListParameters =
    [
        ("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\"."),
        ("continue", "string", "The continue option should be set when retrieving more results from the server."),
        ("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
        ("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
        ("limit", "integer", "limit is a maximum number of responses to return for a list call."),
        ("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from."),
        ("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
        ("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`."),
        ("timeoutSeconds", "integer", "Timeout for the list/watch call."),
        ("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications."),
    ];

    private static readonly (string Name, string Type, string Description)[] WriteParameters =
    [
        ("dryRun", "string", "When present, indicates that modifications should not be persisted."),
        ("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes."),
        ("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default), Strict."),
    ];

    private static readonly (string Name, string Type, string Description)[] DeleteParameters =
    [
        ("dryRun", "string", "When present, indicates that modifications should not be persisted."),
        ("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted."),
        ("orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy."),
        ("propagationPolicy", "string", "Whether and how garbage collection will be performed."),
    ];

    public void WriteResource(Utf8JsonWriter w, ResourceDefinition resource)
    {
        var root = resource.ApiVersion == resource.Version ? "/api/" + resource.Version : "/apis/" + resource.ApiVersion;
        var objectName = schemas.RequireKind(resource);
        schemas.RequireList(resource);
        var listName = schemas.ListName(resource);
        var gvk = (resource.Group, resource.Version, resource.Kind);
        var scope = resource.Namespaced ? "Namespaced" : "";
        var collection = resource.Namespaced ? $"{root}/namespaces/{{namespace}}/{resource.Plural}" : $"{root}/{resource.Plural}";
        var id = Ident(resource);
        var patchTypes = resource.IsBuiltinGroup ? PatchTypes : CustomResourcePatchTypes;

        if (resource.Supports("list") || resource.Supports("create") || resource.Supports("deletecollection"))
        {
            w.WriteStartObject(collection);
            if (resource.Supports("deletecollection"))
            {
                WriteOperation(w, "delete", $"deletecollection{id}{scope}{resource.Kind}", $"delete collection of {resource.Kind}", "deletecollection", gvk, DeleteParameters.Concat(ListParameters), "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", null, DefinitionNames.MetaPackage + ".Status");
            }

            if (resource.Supports("list"))
            {
                WriteOperation(w, "get", $"list{id}{scope}{resource.Kind}", $"list or watch objects of kind {resource.Kind}", "list", gvk, ListParameters, null, null, listName);
            }

            if (resource.Supports("create"))
            {
                WriteOperation(w, "post", $"create{id}{scope}{resource.Kind}", $"create a {resource.Kind}", "post", gvk, WriteParameters, objectName, null, objectName);
            }

            WritePathParameters(w, resource.Namespaced, null);
            w.WriteEndObject();
        }

        if (resource.Supports("get") || resource.Supports("update") || resource.Supports("patch") || resource.Supports("delete"))
        {
            w.WriteStartObject(collection + "/{name}");
            if (resource.Supports("delete"))
            {
                WriteOperation(w, "delete", $"delete{id}{scope}{resource.Kind}", $"delete a {resource.Kind}", "delete", gvk, DeleteParameters, DefinitionNames.MetaPackage + ".DeleteOptions", null, DefinitionNames.MetaPackage + ".Status");
            }

            if (resource.Supports("get"))
            {
                WriteOperation(w, "get", $"read{id}{scope}{resource.Kind}", $"read the specified {resource.Kind}", "get", gvk, [], null, null, objectName);
            }

            if (resource.Supports("patch"))
            {
                WriteOperation(w, "patch", $"patch{id}{scope}{resource.Kind}", $"partially update the specified {resource.Kind}", "patch", gvk, WriteParameters.Append(("force", "boolean", "Force is going to \"force\" Apply requests.")), DefinitionNames.MetaPackage + ".Patch", patchTypes, objectName);
            }

            if (resource.Supports("update"))
            {
                WriteOperation(w, "put", $"replace{id}{scope}{resource.Kind}", $"replace the specified {resource.Kind}", "put", gvk, WriteParameters, objectName, null, objectName);
            }

            WritePathParameters(w, resource.Namespaced, resource.Kind);
            w.WriteEndObject();
        }

        foreach (var sub in resource.Subresources.Where(s => s.Name is "status" or "scale"))
        {
            var subGvk = (sub.Group, sub.Version, sub.Kind);
            var subName = sub.Name == "scale" ? schemas.Require(Schema.ModelSchemas.For("V1Scale"), ("autoscaling", "v1", "Scale")) : objectName;
            var suffix = sub.Name == "scale" ? "Scale" : "Status";
            w.WriteStartObject($"{collection}/{{name}}/{sub.Name}");
            WriteOperation(w, "get", $"read{id}{scope}{resource.Kind}{suffix}", $"read {sub.Name} of the specified {resource.Kind}", "get", subGvk, [], null, null, subName);
            WriteOperation(w, "patch", $"patch{id}{scope}{resource.Kind}{suffix}", $"partially update {sub.Name} of the specified {resource.Kind}", "patch", subGvk, WriteParameters.Append(("force", "boolean", "Force is going to \"force\" Apply requests.")), DefinitionNames.MetaPackage + ".Patch", patchTypes, subName);
            WriteOperation(w, "put", $"replace{id}{scope}{resource.Kind}{suffix}", $"replace {sub.Name} of the specified {resource.Kind}", "put", subGvk, WriteParameters, subName, null, subName);
            WritePathParameters(w, resource.Namespaced, resource.Kind);
            w.WriteEndObject();
        }

        if (resource.Namespaced && resource.Supports("list"))
        {
            w.WriteStartObject($"{root}/{resource.Plural}");
            WriteOperation(w, "get", $"list{id}{resource.Kind}ForAllNamespaces", $"list or watch objects of kind {resource.Kind}", "list", gvk, ListParameters, null, null, listName);
            WritePathParameters(w, namespaced: false, null);
            w.WriteEndObject();
        }
    }

    private void WriteOperation(Utf8JsonWriter w, string method, string operationId, string description, string action, (string Group, string Version, string Kind) gvk,
        IEnumerable<(string Name, string Type, string Description)> parameters, string? bodyName, IReadOnlyList<string>? patchTypes, string responseName)
    {
        w.WriteStartObject(method);
        w.WriteString("description", description);
        w.WriteString("operationId", operationId);
        if (!v3)
        {
            WriteStrings(w, "consumes", patchTypes ?? ["*/*"]);
            WriteStrings(w, "produces", ResponseTypes);
            WriteStrings(w, "schemes", ["https"]);
        }

        w.WriteStartArray("parameters");
        if (!v3 && bodyName is not null)
        {
            w.WriteStartObject();
            w.WriteString("name", "body");
            w.WriteString("in", "body");
            w.WriteBoolean("required", method != "delete");
            w.WritePropertyName("schema");
            schemas.WriteRef(w, bodyName);
            w.WriteEndObject();
        }

        foreach (var (name, type, text) in parameters.DistinctBy(p => p.Name))
        {
            WriteQueryParameter(w, name, type, text);
        }

        w.WriteEndArray();
        if (v3 && bodyName is not null)
        {
            w.WriteStartObject("requestBody");
            w.WriteStartObject("content");
            foreach (var type in patchTypes ?? ["*/*"])
            {
                w.WriteStartObject(type);
                w.WritePropertyName("schema");
                schemas.WriteRef(w, bodyName);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            if (method != "delete")
            {
                w.WriteBoolean("required", true);
            }

            w.WriteEndObject();
        }

        w.WriteStartObject("responses");
        foreach (var (code, text) in method switch
        {
            "post" => new[] { ("200", "OK"), ("201", "Created"), ("202", "Accepted") },
            "put" or "patch" => [("200", "OK"), ("201", "Created")],
            "delete" when action == "delete" => [("200", "OK"), ("202", "Accepted")],
            _ => [("200", "OK")],
        })
        {
            w.WriteStartObject(code);
            w.WriteString("description", text);
            if (v3)
            {
                w.WriteStartObject("content");
                foreach (var type in ResponseTypes)
                {
                    w.WriteStartObject(type);
                    w.WritePropertyName("schema");
                    schemas.WriteRef(w, responseName);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }
            else
            {
                w.WritePropertyName("schema");
                schemas.WriteRef(w, responseName);
            }

            w.WriteEndObject();
        }

        w.WriteStartObject("401");
        w.WriteString("description", "Unauthorized");
        w.WriteEndObject();
        w.WriteEndObject();
        WriteStrings(w, "tags", [Tag(gvk.Group, gvk.Version)]);
        w.WriteString("x-kubernetes-action", action);
        w.WriteStartObject("x-kubernetes-group-version-kind");
        w.WriteString("group", gvk.Group);
        w.WriteString("kind", gvk.Kind);
        w.WriteString("version", gvk.Version);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void WritePathParameters(Utf8JsonWriter w, bool namespaced, string? kind)
    {
        w.WriteStartArray("parameters");
        if (kind is not null)
        {
            WritePathParameter(w, "name", $"name of the {kind}");
        }

        if (namespaced)
        {
            WritePathParameter(w, "namespace", "object name and auth scope, such as for teams and projects");
        }

        WriteQueryParameter(w, "pretty", "string", "If 'true', then the output is pretty printed.");
        w.WriteEndArray();
    }

    private void WritePathParameter(Utf8JsonWriter w, string name, string description)
    {
        w.WriteStartObject();
        w.WriteString("description", description);
        w.WriteString("in", "path");
        w.WriteString("name", name);
        w.WriteBoolean("required", true);
        if (v3)
        {
            w.WriteStartObject("schema");
            w.WriteString("type", "string");
            w.WriteBoolean("uniqueItems", true);
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("type", "string");
            w.WriteBoolean("uniqueItems", true);
        }

        w.WriteEndObject();
    }

    private void WriteQueryParameter(Utf8JsonWriter w, string name, string type, string description)
    {
        w.WriteStartObject();
        w.WriteString("description", description);
        w.WriteString("in", "query");
        w.WriteString("name", name);
        if (v3)
        {
            w.WriteStartObject("schema");
            w.WriteString("type", type);
            w.WriteBoolean("uniqueItems", true);
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("type", type);
            w.WriteBoolean("uniqueItems", true);
        }

        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    /// <summary>The group-version part of kube's operation ids: "CoreV1", "AppsV1", "RbacAuthorizationV1".</summary>
    public static string Ident(ResourceDefinition resource) => GroupIdent(resource.Group) + Pascal(resource.Version);

    private static string GroupIdent(string group)
    {
        if (group.Length == 0)
        {
            return "Core";
        }

        var trimmed = group.EndsWith(".k8s.io", StringComparison.Ordinal) ? group[..^".k8s.io".Length] : group;
        return string.Concat(trimmed.Split('.').Select(Pascal));
    }

    private static string Tag(string group, string version)
    {
        var ident = GroupIdent(group);
        return char.ToLowerInvariant(ident[0]) + ident[1..] + "_" + version;
    }

    private static string Pascal(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
