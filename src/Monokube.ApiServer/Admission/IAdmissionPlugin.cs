namespace Monokube.ApiServer.Admission;

/// <summary>A validating admission step: it returns to let the write through, or throws an ApiException (a 403 Status).</summary>
public interface IAdmissionPlugin
{
    ValueTask ValidateAsync(AdmissionRequest request, CancellationToken cancellationToken);
}
