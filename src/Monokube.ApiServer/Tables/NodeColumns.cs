using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Tables;

public static class NodeColumns
{
    public static IReadOnlyList<TableColumn> All { get; } =
    [
        CommonColumns.Name,
        TableColumn.Text("Status", Status, 0, "The status of the node"),
        TableColumn.Text("Roles", Roles, 0, "The roles of the node"),
        CommonColumns.Age,
        TableColumn.Text("Version", o => o.GetString("status.nodeInfo.kubeletVersion"), 0, "Kubelet Version reported by the node."),
        TableColumn.Text("Internal-IP", o => Address(o, "InternalIP"), 1, "List of internal IPs."),
        TableColumn.Text("External-IP", o => Address(o, "ExternalIP"), 1, "List of external IPs."),
        TableColumn.Text("OS-Image", o => Or(o.GetString("status.nodeInfo.osImage"), "<unknown>"), 1, "OS image reported by the node."),
        TableColumn.Text("Kernel-Version", o => Or(o.GetString("status.nodeInfo.kernelVersion"), "<unknown>"), 1, "Kernel version reported by the node."),
        TableColumn.Text("Container-Runtime", o => Or(o.GetString("status.nodeInfo.containerRuntimeVersion"), "<unknown>"), 1, "Container runtime version reported by the node."),
    ];

    private static string Status(JsonObject node)
    {
        var ready = (node.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == "Ready");
        var status = ready?.GetString("status") switch
        {
            "True" => "Ready",
            null => "Unknown",
            "Unknown" => "Unknown",
            _ => "NotReady",
        };
        return node.Find("spec.unschedulable") is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.True ? status + ",SchedulingDisabled" : status;
    }

    private static string Roles(JsonObject node)
    {
        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in new ObjectMeta(node).Labels ?? [])
        {
            if (key.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal) && key.Length > "node-role.kubernetes.io/".Length)
            {
                roles.Add(key["node-role.kubernetes.io/".Length..]);
            }
            else if (key == "kubernetes.io/role" && value?.ToString() is { Length: > 0 } role)
            {
                roles.Add(role);
            }
        }

        return roles.Count == 0 ? "<none>" : string.Join(",", roles);
    }

    private static string Address(JsonObject node, string type)
    {
        var addresses = (node.Find("status.addresses") as JsonArray)?.OfType<JsonObject>().Where(a => a.GetString("type") == type).Select(a => a.GetString("address")).ToList() ?? [];
        return addresses.Count == 0 ? "<none>" : string.Join(",", addresses);
    }

    private static string Or(string? value, string fallback) => string.IsNullOrEmpty(value) ? fallback : value;
}
