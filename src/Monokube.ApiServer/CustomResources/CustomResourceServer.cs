using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Caching;
using Monokube.ApiServer.Handlers;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Registry.Strategies;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// Serves the custom resources of every CustomResourceDefinition, as kube-apiserver's apiextensions server: a new
/// CRD's served versions join the registry (and so discovery and every verb) at once, under
/// /registry/&lt;group&gt;/&lt;plural&gt;, stored in the storage version; the CRD's status gets acceptedNames,
/// storedVersions and the NamesAccepted and Established conditions. A deleted CRD (the customresourcecleanup
/// finalizer) stops being served, its custom resources are deleted, then the CRD itself.
/// </summary>
public sealed partial class CustomResourceServer : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly ResourceRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StoreInformer _crds;
    private readonly SemaphoreSlim _dirty = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ResourceDefinition _crdResource;
    private readonly Schema.SchemaNode _metadataSchema;
    private Dictionary<string, string> _servedGroups = new(StringComparer.Ordinal);
    private Task? _loop;

    public CustomResourceServer(IObjectStore store, ResourceRegistry registry, TimeProvider time, ILogger logger)
    {
        _store = store;
        _registry = registry;
        _time = time;
        _logger = logger;
        _crdResource = registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
        _metadataSchema = registry.Find("", "v1", "configmaps")!.Schema!.Properties["metadata"];
        _crds = new StoreInformer(store, _crdResource.CollectionPrefix(null), logger);
        _crds.Changed += MarkDirty;
    }

    public void Start()
    {
        _crds.Start();
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _crds.DisposeAsync();
        if (_loop is not null)
        {
            await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _stop.Dispose();
        _dirty.Dispose();
    }

    private void MarkDirty()
    {
        try
        {
            _dirty.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already marked: one pass sees every change made before it.
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await _crds.WaitForSyncAsync(cancellationToken);
        MarkDirty();
        while (!cancellationToken.IsCancellationRequested)
        {
            await _dirty.WaitAsync(cancellationToken);
            try
            {
                await ReconcileAsync(cancellationToken);
            }
            catch (StoreUnavailableException e)
            {
                LogFailed(_logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken);
                MarkDirty();
            }
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var served = new Dictionary<string, List<ResourceDefinition>>(StringComparer.Ordinal);
        var signatures = new Dictionary<string, string>(StringComparer.Ordinal);
        // Names already accepted are held first; then the oldest CRD wins a name two ask for.
        var claims = new CrdNameClaims();
        // CRDs kube-apiserver 1.26 wrote (stored as v1beta1) are read as v1.
        var ordered = _crds.Items.Select(i => (i.Key, Value: AsServed(i.Value)))
            .OrderBy(i => i.Value.GetString("metadata.creationTimestamp"), StringComparer.Ordinal).ThenBy(i => i.Key, StringComparer.Ordinal).ToList();
        foreach (var (key, crd) in ordered.Where(i => HasCondition(i.Value, "NamesAccepted", "True") && i.Value.Find("status.acceptedNames") is JsonObject))
        {
            claims.Claim(key, crd, (JsonObject)crd.Find("status.acceptedNames")!);
        }

        var statuses = new List<(string Key, JsonObject Crd, (string Reason, string Message)? Conflict)>();
        foreach (var (key, crd) in ordered)
        {
            if (crd.GetString("metadata.deletionTimestamp") is not null)
            {
                await CleanUpAsync(key, crd, cancellationToken);
                continue;
            }

            var conflict = claims.Conflict(key, crd);
            if (conflict is not null)
            {
                // Not served until its names are free, as kube-apiserver serves only Established CRDs.
                statuses.Add((key, crd, conflict));
                continue;
            }

            claims.Claim(key, crd);
            var group = crd.GetString("spec.group")!;
            if (!served.TryGetValue(group, out var definitions))
            {
                definitions = [];
                served[group] = definitions;
            }

            definitions.AddRange(Definitions(crd, _metadataSchema));
            signatures[group] = signatures.GetValueOrDefault(group, "") + crd["spec"]?.ToJsonString();
            statuses.Add((key, crd, null));
        }

        // A group is rebuilt only when a definition in it changed, which keeps discovery and OpenAPI caches valid.
        foreach (var (group, definitions) in served)
        {
            if (_servedGroups.GetValueOrDefault(group) != signatures[group])
            {
                _registry.ReplaceGroup(group, definitions);
            }
        }

        foreach (var gone in _servedGroups.Keys.Where(g => !served.ContainsKey(g)))
        {
            _registry.ReplaceGroup(gone, []);
        }

        _servedGroups = signatures;

        // Established is written only once the registry serves the CRD, so that a client that saw it (a watch, a
        // wait) finds the resource on every path at once.
        foreach (var (key, crd, conflict) in statuses)
        {
            await UpdateStatusAsync(key, crd, conflict, cancellationToken);
        }
    }

    private static IEnumerable<ResourceDefinition> Definitions(JsonObject crd, Schema.SchemaNode metadata)
    {
        var group = crd.GetString("spec.group")!;
        var kind = crd.GetString("spec.names.kind")!;
        var plural = crd.GetString("spec.names.plural")!;
        var versions = (crd.Find("spec.versions") as JsonArray ?? []).OfType<JsonObject>().ToList();
        var storage = versions.FirstOrDefault(v => v.GetBool("storage"))?.GetString("name") ?? versions[0].GetString("name")!;
        foreach (var version in versions.Where(v => v.GetBool("served")))
        {
            var name = version.GetString("name")!;
            IReadOnlyList<string> selectable = [.. (version["selectableFields"] as JsonArray ?? []).OfType<JsonObject>().Select(f => f.GetString("jsonPath")?.TrimStart('.')).OfType<string>()];
            var subresources = new List<SubresourceDefinition>();
            if (version.Find("subresources.status") is JsonObject)
            {
                subresources.Add(new SubresourceDefinition("status", group, name, kind, ["get", "patch", "update"]));
            }

            ScalePaths? scalePaths = null;
            if (version.Find("subresources.scale") is JsonObject scale)
            {
                subresources.Add(new SubresourceDefinition("scale", "autoscaling", "v1", "Scale", ["get", "patch", "update"]));
                scalePaths = ScalePaths.From(scale.GetString("specReplicasPath"), scale.GetString("statusReplicasPath"), scale.GetString("labelSelectorPath"));
            }

            yield return new ResourceDefinition
            {
                Group = group,
                Version = name,
                Kind = kind,
                Plural = plural,
                Namespaced = crd.GetString("spec.scope") == "Namespaced",
                ShortNames = Strings(crd.Find("spec.names.shortNames")),
                Categories = Strings(crd.Find("spec.names.categories")),
                Subresources = subresources,
                Strategy = new CustomResourceStrategy(version.Find("schema.openAPIV3Schema") as JsonObject, selectable),
                IsBuiltinGroup = false,
                Converter = name == storage ? null : new CustomResourceConverter(group + "/" + name, group + "/" + storage),
                Columns = PrinterColumns.From(version["additionalPrinterColumns"] as JsonArray),
                Schema = CustomResourceSchema.From(version.Find("schema.openAPIV3Schema") as JsonObject, metadata),
                OpenApiV3Schema = version.Find("schema.openAPIV3Schema") as JsonObject,
                SelectableFields = selectable,
                Scale = scalePaths,
            };
        }
    }

    private JsonObject AsServed(JsonObject stored) =>
        _crdResource.Converter is { } converter && stored.GetString("apiVersion") != "apiextensions.k8s.io/v1" ? converter.FromStorage((JsonObject)stored.DeepClone()) : stored;

    private static IReadOnlyList<string> Strings(JsonNode? node) =>
        [.. (node as JsonArray ?? []).Select(n => n?.ToString()).OfType<string>()];

    // acceptedNames, storedVersions, NamesAccepted and Established, written once (and again if the names change).
    private async Task UpdateStatusAsync(string key, JsonObject cached, (string Reason, string Message)? conflict, CancellationToken cancellationToken)
    {
        // Most passes find the status right in the cache and read nothing from the store.
        if (!WithStatus((JsonObject)cached.DeepClone(), conflict))
        {
            return;
        }

        var stored = await _store.GetAsync(key, cancellationToken);
        if (!stored.IsOk)
        {
            return;
        }

        var crd = AsServed(ObjectWriter.Parse(stored.Object!.Value));
        if (WithStatus(crd, conflict))
        {
            // A lost race (the CRD changed meanwhile) is retried by the change event that caused it.
            await _store.UpdateAsync(key, JsonOutput.ToBytes(crd), new Preconditions(stored.Object.ModRevision), cancellationToken);
        }
    }

    // Brings the CRD's status in line with its spec; whether anything changed.
    private bool WithStatus(JsonObject crd, (string Reason, string Message)? conflict)
    {
        var status = crd["status"] as JsonObject ?? [];
        var names = crd.Find("spec.names")?.DeepClone() as JsonObject ?? [];
        names["singular"] ??= crd.GetString("spec.names.kind")?.ToLowerInvariant();
        names["listKind"] ??= crd.GetString("spec.names.kind") + "List";
        var storageVersion = (crd.Find("spec.versions") as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(v => v.GetBool("storage"))?.GetString("name");
        var storedVersions = status["storedVersions"] as JsonArray ?? [];
        var changed = false;
        if (conflict is null && !JsonNode.DeepEquals(status["acceptedNames"], names))
        {
            status["acceptedNames"] = names;
            changed = true;
        }

        if (storageVersion is not null && !storedVersions.Any(v => v?.ToString() == storageVersion))
        {
            storedVersions.Add((JsonNode)storageVersion);
            status["storedVersions"] = storedVersions;
            changed = true;
        }

        var conditions = status["conditions"] as JsonArray ?? [];
        var now = KubeTime.Format(_time.GetUtcNow());
        var established = HasCondition(crd, "Established", "True");
        var wanted = conflict is { } c
            ? new[] { ("NamesAccepted", "False", c.Reason, c.Message), established ? ("Established", "True", "InitialNamesAccepted", "the initial names have been accepted") : ("Established", "False", "NotAccepted", "not all names are accepted") }
            : [("NamesAccepted", "True", "NoConflicts", "no conflicts found"), ("Established", "True", "InitialNamesAccepted", "the initial names have been accepted")];
        foreach (var (type, state, reason, message) in wanted)
        {
            if (conditions.OfType<JsonObject>().Any(c => c.GetString("type") == type && c.GetString("status") == state && c.GetString("reason") == reason && c.GetString("message") == message))
            {
                continue;
            }

            foreach (var old in conditions.OfType<JsonObject>().Where(c => c.GetString("type") == type).ToList())
            {
                conditions.Remove(old);
            }

            conditions.Add((JsonNode)new JsonObject { ["type"] = type, ["status"] = state, ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message });
            changed = true;
        }

        status["conditions"] = conditions;
        crd["status"] = status;
        return changed;
    }

    private static bool HasCondition(JsonObject crd, string type, string status) =>
        (crd.Find("status.conditions") as JsonArray ?? []).OfType<JsonObject>().Any(c => c.GetString("type") == type && c.GetString("status") == status);

    // A deleted CRD: its custom resources go (every version lives under one prefix), then the finalizer, then the CRD.
    private async Task CleanUpAsync(string key, JsonObject crd, CancellationToken cancellationToken)
    {
        if (!(crd.Find("metadata.finalizers") as JsonArray ?? []).Any(f => f?.ToString() == CustomResourceDefinitionStrategy.CleanupFinalizer))
        {
            return;
        }

        var prefix = $"/{crd.GetString("spec.group")}/{crd.GetString("spec.names.plural")}/";
        var list = await _store.ListAsync(new ListRequest(prefix), cancellationToken);
        foreach (var item in list.Items)
        {
            await _store.DeleteAsync(item.Key, new Preconditions(item.ModRevision), cancellationToken);
        }

        var stored = await _store.GetAsync(key, cancellationToken);
        if (!stored.IsOk)
        {
            return;
        }

        var current = ObjectWriter.Parse(stored.Object!.Value);
        var finalizers = current.Find("metadata.finalizers") as JsonArray ?? [];
        foreach (var finalizer in finalizers.Where(f => f?.ToString() == CustomResourceDefinitionStrategy.CleanupFinalizer).ToList())
        {
            finalizers.Remove(finalizer);
        }

        if (finalizers.Count == 0)
        {
            await _store.DeleteAsync(key, new Preconditions(stored.Object.ModRevision), cancellationToken);
            return;
        }

        await _store.UpdateAsync(key, JsonOutput.ToBytes(current), new Preconditions(stored.Object.ModRevision), cancellationToken);
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "custom resources: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
