using System.Globalization;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Serialization;

namespace Monokube.Node;

/// <summary>
/// The parts of a kubelet's --config file (KubeletConfiguration, kubelet.config.k8s.io/v1beta1) that the agent
/// acts on: the kubelet port (port, address), the client CA of that port (authentication.x509.clientCAFile),
/// staticPodPath and rotateCertificates. Other fields are about containers, cgroups and DNS, which the agent has none of.
/// </summary>
public sealed class KubeletConfigFile
{
    public int? Port { get; private init; }

    public string? Address { get; private init; }

    public string? ClientCaFile { get; private init; }

    public string? StaticPodPath { get; private init; }

    public bool? RotateCertificates { get; private init; }

    public static KubeletConfigFile Load(string path)
    {
        if (YamlBodyParser.Parse(File.ReadAllText(path)) is not JsonObject config)
        {
            throw new FormatException($"{path}: a KubeletConfiguration is a YAML or JSON object");
        }

        if (config.GetString("kind") is { } kind && kind != "KubeletConfiguration")
        {
            throw new FormatException($"{path}: kind is {kind}, expected KubeletConfiguration");
        }

        if (config.GetString("apiVersion") is { } version && version != "kubelet.config.k8s.io/v1beta1" && version != "kubelet.config.k8s.io/v1")
        {
            throw new FormatException($"{path}: apiVersion {version} is not a kubelet configuration version (kubelet.config.k8s.io/v1beta1)");
        }

        return new KubeletConfigFile
        {
            Port = config["port"] is JsonValue port ? int.Parse(port.ToJsonString(), CultureInfo.InvariantCulture) : null,
            Address = config.GetString("address"),
            ClientCaFile = config.GetString("authentication.x509.clientCAFile") is { Length: > 0 } ca ? ca : null,
            StaticPodPath = config.GetString("staticPodPath") is { Length: > 0 } pods ? pods : null,
            RotateCertificates = config["rotateCertificates"] switch
            {
                null => null,
                JsonValue value when value.TryGetValue<bool>(out var rotate) => rotate,
                _ => throw new FormatException($"{path}: rotateCertificates must be true or false"),
            },
        };
    }
}
