using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Tables;

public static class ServiceColumns
{
    public static IReadOnlyList<TableColumn> All { get; } =
    [
        CommonColumns.Name,
        TableColumn.Text("Type", o => o.GetString("spec.type") ?? "ClusterIP", 0, "The type of the service."),
        TableColumn.Text("Cluster-IP", o => o.GetString("spec.clusterIP") is { Length: > 0 } ip ? ip : "<none>", 0, "The IP address of the service."),
        TableColumn.Text("External-IP", ExternalIp, 0, "The external IP address of the service."),
        TableColumn.Text("Port(s)", Ports, 0, "The ports of the service."),
        CommonColumns.Age,
        TableColumn.Text("Selector", o => o.Find("spec.selector") is JsonObject s && s.Count > 0 ? string.Join(",", s.Select(kv => $"{kv.Key}={kv.Value}")) : "<none>", 1, "The label selector of the service."),
    ];

    private static string ExternalIp(JsonObject svc)
    {
        var type = svc.GetString("spec.type") ?? "ClusterIP";
        var external = (svc.Find("spec.externalIPs") as JsonArray)?.Select(x => x?.ToString() ?? "").ToList() ?? [];
        switch (type)
        {
            case "ExternalName":
                return svc.GetString("spec.externalName") ?? "<none>";
            case "LoadBalancer":
                var ingress = (svc.Find("status.loadBalancer.ingress") as JsonArray)?.OfType<JsonObject>().Select(i => i.GetString("ip") ?? i.GetString("hostname") ?? "").ToList() ?? [];
                var all = ingress.Concat(external).Where(x => x.Length > 0).ToList();
                return all.Count > 0 ? string.Join(",", all) : "<pending>";
            default:
                return external.Count > 0 ? string.Join(",", external) : "<none>";
        }
    }

    private static string Ports(JsonObject svc)
    {
        var ports = (svc.Find("spec.ports") as JsonArray)?.OfType<JsonObject>().Select(p =>
        {
            var nodePort = CommonColumns.Int(p, "nodePort");
            var protocol = p.GetString("protocol") ?? "TCP";
            return nodePort > 0 ? $"{CommonColumns.Int(p, "port")}:{nodePort}/{protocol}" : $"{CommonColumns.Int(p, "port")}/{protocol}";
        }).ToList() ?? [];
        return ports.Count == 0 ? "<none>" : string.Join(",", ports);
    }
}
