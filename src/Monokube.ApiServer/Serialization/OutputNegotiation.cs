using Monokube.ApiServer.Api;

namespace Monokube.ApiServer.Serialization;

/// <summary>Chooses the response format from the Accept header, as kube-apiserver's negotiation does.</summary>
public static class OutputNegotiation
{
    public static OutputFormat Negotiate(string? accept, bool isList)
    {
        var choices = MediaType.ParseAccept(accept);
        if (choices.Count == 0)
        {
            return OutputFormat.Json;
        }

        foreach (var choice in choices)
        {
            if (choice.Type is not ("application/json" or "*/*" or "application/*" or "application/yaml"))
            {
                continue;
            }

            var transform = choice["as"];
            if (transform is null)
            {
                return choice.Type == "application/yaml" ? new OutputFormat(OutputKind.Yaml) : OutputFormat.Json;
            }

            if (choice.Type != "application/json" || choice["g"] != "meta.k8s.io" || choice["v"] is not ("v1" or "v1beta1"))
            {
                continue;
            }

            var version = choice["v"]!;
            switch (transform)
            {
                case "Table":
                    return new OutputFormat(OutputKind.Table, version);
                case "PartialObjectMetadata" when !isList:
                    return new OutputFormat(OutputKind.PartialObjectMetadata, version);
                case "PartialObjectMetadataList" when isList:
                    return new OutputFormat(OutputKind.PartialObjectMetadataList, version);
            }
        }

        throw new ApiException(Statuses.NotAcceptable("only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"));
    }
}
