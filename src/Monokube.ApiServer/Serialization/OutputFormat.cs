namespace Monokube.ApiServer.Serialization;

public enum OutputKind
{
    Json,
    Yaml,
    Table,
    PartialObjectMetadata,
    PartialObjectMetadataList,
}

/// <summary>What the client asked for in its Accept header: plain JSON/YAML, or a meta.k8s.io transformation.</summary>
public readonly record struct OutputFormat(OutputKind Kind, string MetaVersion = "v1")
{
    public static OutputFormat Json => new(OutputKind.Json);

    public string MetaApiVersion => "meta.k8s.io/" + MetaVersion;
}
