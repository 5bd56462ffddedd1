namespace Monokube.ApiServer.Admission;

/// <summary>The admission plugins every write passes, in order (empty when serving plain HTTP).</summary>
public sealed class AdmissionChain(IReadOnlyList<IAdmissionPlugin> plugins)
{
    public static AdmissionChain None { get; } = new([]);

    public async ValueTask ValidateAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        foreach (var plugin in plugins)
        {
            await plugin.ValidateAsync(request, cancellationToken);
        }
    }
}
