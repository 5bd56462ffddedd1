using System.Text.Json.Nodes;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Security.Authentication;

namespace Monokube.ApiServer.Admission;

public enum AdmissionOperation
{
    Create,
    Update,
    Delete,
}

/// <summary>
/// A write about to reach the store, as admission plugins see it: who, what operation on which object (through
/// which subresource), the object as it will be written and the stored one it replaces.
/// </summary>
public sealed record AdmissionRequest(
    UserInfo User,
    ResourceDefinition Resource,
    string Subresource,
    AdmissionOperation Operation,
    string? Namespace,
    string Name,
    JsonObject? Object,
    JsonObject? OldObject);
