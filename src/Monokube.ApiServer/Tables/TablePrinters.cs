using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;

namespace Monokube.ApiServer.Tables;

/// <summary>The columns `kubectl get` shows for each built-in kind (kube-apiserver's printers), NAME and AGE otherwise.</summary>
public static class TablePrinters
{
    private static readonly IReadOnlyList<TableColumn> Default = [CommonColumns.Name, CommonColumns.Age];

    private static readonly Dictionary<(string Group, string Kind), IReadOnlyList<TableColumn>> Printers = new()
    {
        [("", "Pod")] = PodColumns.All,
        [("", "Node")] = NodeColumns.All,
        [("", "Namespace")] = [CommonColumns.Name, TableColumn.Text("Status", o => o.GetString("status.phase"), 0, "The status of the namespace"), CommonColumns.Age],
        [("", "ConfigMap")] = [CommonColumns.Name, TableColumn.Number("Data", o => Count(o, "data") + Count(o, "binaryData"), 0, "Number of data items in the ConfigMap."), CommonColumns.Age],
        [("", "Secret")] = [CommonColumns.Name, TableColumn.Text("Type", o => o.GetString("type")), TableColumn.Number("Data", o => Count(o, "data")), CommonColumns.Age],
        [("", "ServiceAccount")] = [CommonColumns.Name, TableColumn.Number("Secrets", o => (o["secrets"] as JsonArray)?.Count ?? 0), CommonColumns.Age],
        [("", "Service")] = ServiceColumns.All,
        [("", "Endpoints")] = [CommonColumns.Name, TableColumn.Text("Endpoints", EndpointsText), CommonColumns.Age],
        [("", "Event")] = EventColumns.All,
        [("discovery.k8s.io", "EndpointSlice")] =
        [
            CommonColumns.Name,
            TableColumn.Text("AddressType", o => o.GetString("addressType"), 0, "The IP protocol for this slice"),
            TableColumn.Text("Ports", SlicePorts, 0, "The ports of this slice"),
            TableColumn.Text("Endpoints", SliceEndpoints, 0, "First three addresses of this slice"),
            CommonColumns.Age,
        ],
        [("networking.k8s.io", "IPAddress")] =
        [
            CommonColumns.Name,
            TableColumn.Text("ParentRef", o => o.Find("spec.parentRef") is JsonObject r ? $"{r.GetString("resource")}{(string.IsNullOrEmpty(r.GetString("group")) ? "" : "." + r.GetString("group"))}/{r.GetString("namespace")}/{r.GetString("name")}" : ""),
            CommonColumns.Age,
        ],
        [("apps", "Deployment")] =
        [
            CommonColumns.Name,
            TableColumn.Text("Ready", o => $"{CommonColumns.Int(o, "status.readyReplicas")}/{Replicas(o)}", 0, "Number of the pod with ready state"),
            TableColumn.Number("Up-to-date", o => CommonColumns.Int(o, "status.updatedReplicas"), 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            TableColumn.Number("Available", o => CommonColumns.Int(o, "status.availableReplicas"), 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            CommonColumns.Age,
            CommonColumns.Containers("spec.template.spec.containers"),
            CommonColumns.Images("spec.template.spec.containers"),
            CommonColumns.Selector(),
        ],
        [("apps", "ReplicaSet")] =
        [
            CommonColumns.Name,
            TableColumn.Number("Desired", Replicas, 0, "Number of desired pods."),
            TableColumn.Number("Current", o => CommonColumns.Int(o, "status.replicas"), 0, "Number of actual replicas."),
            TableColumn.Number("Ready", o => CommonColumns.Int(o, "status.readyReplicas"), 0, "Number of ready replicas."),
            CommonColumns.Age,
            CommonColumns.Containers("spec.template.spec.containers"),
            CommonColumns.Images("spec.template.spec.containers"),
            CommonColumns.Selector(),
        ],
        [("apps", "DaemonSet")] =
        [
            CommonColumns.Name,
            TableColumn.Number("Desired", o => CommonColumns.Int(o, "status.desiredNumberScheduled")),
            TableColumn.Number("Current", o => CommonColumns.Int(o, "status.currentNumberScheduled")),
            TableColumn.Number("Ready", o => CommonColumns.Int(o, "status.numberReady")),
            TableColumn.Number("Up-to-date", o => CommonColumns.Int(o, "status.updatedNumberScheduled")),
            TableColumn.Number("Available", o => CommonColumns.Int(o, "status.numberAvailable")),
            TableColumn.Text("Node Selector", o => o.Find("spec.template.spec.nodeSelector") is JsonObject s && s.Count > 0 ? string.Join(",", s.Select(kv => $"{kv.Key}={kv.Value}")) : "<none>"),
            CommonColumns.Age,
            CommonColumns.Containers("spec.template.spec.containers"),
            CommonColumns.Images("spec.template.spec.containers"),
            CommonColumns.Selector(),
        ],
        [("apps", "StatefulSet")] =
        [
            CommonColumns.Name,
            TableColumn.Text("Ready", o => $"{CommonColumns.Int(o, "status.readyReplicas")}/{Replicas(o)}"),
            CommonColumns.Age,
            CommonColumns.Containers("spec.template.spec.containers"),
            CommonColumns.Images("spec.template.spec.containers"),
        ],
        [("apps", "ControllerRevision")] =
        [
            CommonColumns.Name,
            TableColumn.Text("Controller", o => (o.Find("metadata.ownerReferences") as JsonArray)?.OfType<JsonObject>().FirstOrDefault(r => r.GetBool("controller")) is { } owner ? $"{owner.GetString("kind")?.ToLowerInvariant()}.{GroupOf(owner.GetString("apiVersion"))}/{owner.GetString("name")}".Replace("./", "/", StringComparison.Ordinal) : "<none>"),
            TableColumn.Number("Revision", o => CommonColumns.Int(o, "revision")),
            CommonColumns.Age,
        ],
        [("batch", "Job")] = JobColumns.Job,
        [("batch", "CronJob")] = JobColumns.CronJob,
        [("coordination.k8s.io", "Lease")] = [CommonColumns.Name, TableColumn.Text("Holder", o => o.GetString("spec.holderIdentity")), CommonColumns.Age],
        [("certificates.k8s.io", "CertificateSigningRequest")] =
        [
            CommonColumns.Name,
            CommonColumns.Age,
            TableColumn.Text("SignerName", o => o.GetString("spec.signerName")),
            TableColumn.Text("Requestor", o => o.GetString("spec.username")),
            TableColumn.Text("RequestedDuration", o => o.Find("spec.expirationSeconds") is JsonValue v && v.TryGetValue<long>(out var s) ? HumanDuration.Format(TimeSpan.FromSeconds(s)) : "<none>"),
            TableColumn.Text("Condition", CsrCondition),
        ],
        [("rbac.authorization.k8s.io", "RoleBinding")] = BindingColumns("RoleBinding"),
        [("rbac.authorization.k8s.io", "ClusterRoleBinding")] = BindingColumns("ClusterRoleBinding"),
        [("rbac.authorization.k8s.io", "ClusterRole")] = [CommonColumns.Name, new("Created At", "date", "", "Time at which the object was created", 0, (o, _) => JsonValue.Create(new ObjectMeta(o).CreationTimestamp ?? ""))],
        [("rbac.authorization.k8s.io", "Role")] = [CommonColumns.Name, new("Created At", "date", "", "Time at which the object was created", 0, (o, _) => JsonValue.Create(new ObjectMeta(o).CreationTimestamp ?? ""))],
        [("apiextensions.k8s.io", "CustomResourceDefinition")] = [CommonColumns.Name, new("Created At", "date", "", "Time at which the object was created", 0, (o, _) => JsonValue.Create(new ObjectMeta(o).CreationTimestamp ?? ""))],
    };

    public static IReadOnlyList<TableColumn> For(ResourceDefinition resource) =>
        resource.Columns ?? (Printers.TryGetValue((resource.Group == "events.k8s.io" ? "" : resource.Group, resource.Kind), out var columns) ? columns : Default);

    private static long Count(JsonObject o, string field) => (o[field] as JsonObject)?.Count ?? 0;

    private static long Replicas(JsonObject o) => o.Find("spec.replicas") is JsonValue v && v.TryGetValue<long>(out var n) ? n : 1;

    private static string GroupOf(string? apiVersion) => apiVersion?.Contains('/', StringComparison.Ordinal) == true ? apiVersion.Split('/')[0] : "";

    private static string EndpointsText(JsonObject o)
    {
        var items = new List<string>();
        foreach (var subset in (o["subsets"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            var ports = (subset["ports"] as JsonArray)?.OfType<JsonObject>().Select(p => CommonColumns.Int(p, "port")).ToList() ?? [];
            foreach (var address in (subset["addresses"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                var ip = address.GetString("ip");
                items.AddRange(ports.Count == 0 ? [ip ?? ""] : ports.Select(p => $"{ip}:{p}"));
            }
        }

        if (items.Count == 0)
        {
            return "<none>";
        }

        return items.Count > 3 ? string.Join(",", items.Take(3)) + $" + {items.Count - 3} more..." : string.Join(",", items);
    }

    // kube's EndpointSlice columns: the first three ports (a name, or * when unset) and addresses, then "+ N more...".
    private static string SlicePorts(JsonObject o) =>
        FirstThree([.. (o["ports"] as JsonArray ?? []).OfType<JsonObject>().Select(p => p["port"] is JsonValue ? CommonColumns.Int(p, "port").ToString(System.Globalization.CultureInfo.InvariantCulture) : p.GetString("name") ?? "*")]);

    private static string SliceEndpoints(JsonObject o) =>
        FirstThree([.. (o["endpoints"] as JsonArray ?? []).OfType<JsonObject>().SelectMany(e => (e["addresses"] as JsonArray ?? []).Select(a => a?.ToString() ?? ""))]);

    private static string FirstThree(List<string> items) => items.Count switch
    {
        0 => "<unset>",
        > 3 => string.Join(",", items.Take(3)) + $" + {items.Count - 3} more...",
        _ => string.Join(",", items),
    };

    private static string CsrCondition(JsonObject o)
    {
        var conditions = (o.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().Select(c => c.GetString("type")).Where(t => t is not null).ToList() ?? [];
        if (o.Find("status.certificate") is JsonValue)
        {
            conditions.Add("Issued");
        }

        return conditions.Count == 0 ? "Pending" : string.Join(",", conditions);
    }

    private static IReadOnlyList<TableColumn> BindingColumns(string kind) =>
    [
        CommonColumns.Name,
        TableColumn.Text("Role", o => $"{o.GetString("roleRef.kind")}/{o.GetString("roleRef.name")}"),
        CommonColumns.Age,
        TableColumn.Text("Users", o => Subjects(o, "User"), 1),
        TableColumn.Text("Groups", o => Subjects(o, "Group"), 1),
        TableColumn.Text("ServiceAccounts", o => string.Join(", ", ((o["subjects"] as JsonArray)?.OfType<JsonObject>() ?? []).Where(s => s.GetString("kind") == "ServiceAccount").Select(s => $"{s.GetString("namespace")}/{s.GetString("name")}")), 1),
    ];

    private static string Subjects(JsonObject o, string kind) =>
        string.Join(", ", ((o["subjects"] as JsonArray)?.OfType<JsonObject>() ?? []).Where(s => s.GetString("kind") == kind).Select(s => s.GetString("name")));
}
