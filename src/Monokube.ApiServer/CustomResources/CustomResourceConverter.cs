using System.Text.Json.Nodes;
using Monokube.ApiServer.Registry;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// The None conversion of CustomResourceDefinitions: objects are stored in the storage version and served in any
/// served version by changing only apiVersion, as kube-apiserver does.
/// </summary>
public sealed class CustomResourceConverter(string servedApiVersion, string storageApiVersion) : IStorageConverter
{
    public JsonObject ToStorage(JsonObject served)
    {
        served["apiVersion"] = storageApiVersion;
        return served;
    }

    public JsonObject FromStorage(JsonObject stored)
    {
        stored["apiVersion"] = servedApiVersion;
        return stored;
    }
}
