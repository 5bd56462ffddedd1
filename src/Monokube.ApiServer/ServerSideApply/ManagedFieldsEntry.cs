namespace Monokube.ApiServer.ServerSideApply;

/// <summary>One metav1.ManagedFieldsEntry: who manages which fields, through which operation and subresource.</summary>
public sealed record ManagedFieldsEntry(string Manager, string Operation, string ApiVersion, string? Time, string? Subresource, FieldSet Fields)
{
    public bool SameOwner(string manager, string operation, string? subresource) =>
        Manager == manager && Operation == operation && (Subresource ?? "") == (subresource ?? "");
}
