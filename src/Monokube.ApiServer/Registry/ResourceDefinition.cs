namespace Monokube.ApiServer.Registry;

/// <summary>
/// One served resource of one group-version: its names as discovery shows them, its verbs and subresources, where
/// kube-apiserver keeps it in etcd, the model type its schema is derived from, and the strategy that gives it
/// its type-specific behaviour.
/// </summary>
public sealed class ResourceDefinition
{
    public static readonly IReadOnlyList<string> AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Kind { get; init; }

    public required string Plural { get; init; }

    public required bool Namespaced { get; init; }

    public string Singular => field ??= Kind.ToLowerInvariant();

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    public IReadOnlyList<SubresourceDefinition> Subresources { get; init; } = [];

    /// <summary>The path under the etcd prefix, as kube-apiserver names it ("minions" for nodes).</summary>
    public string StoragePrefix
    {
        get => field ?? (Group.Length == 0 || IsBuiltinGroup ? Plural : Group + "/" + Plural);
        init;
    }

    /// <summary>The KubernetesClient model ("V1Pod") the OpenAPI schema and field validation are derived from.</summary>
    public string? Model { get; init; }

    public ResourceStrategy Strategy { get; init; } = ResourceStrategy.Default;

    /// <summary>Set when the resource is stored in another version than it is served in.</summary>
    public IStorageConverter? Converter { get; init; }

    /// <summary>
    /// The group kube's Invalid errors qualify the kind with: the group of the type kube validates, which is the
    /// served group except where another group's registry serves it (events.k8s.io Events are core Events).
    /// </summary>
    public string? ValidationGroup { get; init; }

    /// <summary>The kind as kube's Invalid messages name it: "Deployment.apps", "ConfigMap", "Widget.example.com".</summary>
    public string QualifiedKind => (ValidationGroup ?? Group) is { Length: > 0 } group ? Kind + "." + group : Kind;

    /// <summary>The structural schema objects of this resource are decoded against (null: accept any fields).</summary>
    public Schema.SchemaNode? Schema
    {
        get => field ??= Model is null ? null : Monokube.ApiServer.Schema.ModelSchemas.For(Model);
        init;
    }

    /// <summary>A custom resource's openAPIV3Schema as its CRD version declares it, which its OpenAPI documents publish.</summary>
    public System.Text.Json.Nodes.JsonObject? OpenApiV3Schema { get; init; }

    /// <summary>Fields of a custom resource that field selectors may name ("spec.color"), besides metadata.name and metadata.namespace.</summary>
    public IReadOnlyList<string> SelectableFields { get; init; } = [];

    /// <summary>A create-only resource that is answered, never stored (access reviews, token reviews).</summary>
    public bool Virtual { get; init; }

    /// <summary>The Table columns of this resource when they are not the built-in printers' (custom resources).</summary>
    public IReadOnlyList<Tables.TableColumn>? Columns { get; init; }

    /// <summary>A custom resource's scale subresource paths; built-in kinds scale spec.replicas and read spec.selector.</summary>
    public ScalePaths? Scale { get; init; }

    /// <summary>Built-in groups store under the bare plural; custom resources under group/plural.</summary>
    public bool IsBuiltinGroup { get; init; } = true;

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public string ListKind => Kind + "List";

    /// <summary>How kube-apiserver names the resource in messages: "pods", "deployments.apps".</summary>
    public string QualifiedPlural => Group.Length == 0 ? Plural : Plural + "." + Group;

    public bool Supports(string verb) => Verbs.Contains(verb, StringComparer.Ordinal);

    public SubresourceDefinition? FindSubresource(string name) => Subresources.FirstOrDefault(s => s.Name == name);

    /// <summary>The store key of one object: "/pods/default/x", or "/nodes/x" (cluster-scoped).</summary>
    public string Key(string? ns, string name) => Namespaced ? $"/{StoragePrefix}/{ns}/{name}" : $"/{StoragePrefix}/{name}";

    /// <summary>The store prefix of a collection: every namespace when <paramref name="ns"/> is null.</summary>
    public string CollectionPrefix(string? ns) => Namespaced && ns is not null ? $"/{StoragePrefix}/{ns}/" : $"/{StoragePrefix}/";

    public override string ToString() => $"{QualifiedPlural} ({ApiVersion}, Kind={Kind})";
}
