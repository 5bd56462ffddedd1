namespace Monokube.ApiServer.Admission;

/// <summary>
/// kube-apiserver's admission plugin names (1.33) and which of them monokube enforces. --enable-admission-plugins
/// and --disable-admission-plugins resolve against this table: an unknown name is refused as kube refuses it, a known
/// one monokube does not implement is refused when enabled (it would silently not be enforced) and accepted when
/// disabled (it is off anyway).
/// </summary>
public static class AdmissionPlugins
{
    public const string NamespaceLifecycle = "NamespaceLifecycle";
    public const string ServiceAccount = "ServiceAccount";
    public const string NodeRestriction = "NodeRestriction";

    /// <summary>The plugins monokube implements: all on unless disabled.</summary>
    /// <remarks>
    /// NodeRestriction is on by default here, unlike in kube-apiserver (where kubeadm enables it), because monokube
    /// has always enforced it; --disable-admission-plugins=NodeRestriction turns it off. ServiceAccount is the part
    /// of kube's plugin that gives a pod the "default" service account when it names none.
    /// </remarks>
    public static readonly IReadOnlyList<string> Implemented = [NamespaceLifecycle, ServiceAccount, NodeRestriction];

    /// <summary>Every plugin name kube-apiserver 1.33 registers.</summary>
    public static readonly IReadOnlyList<string> Known =
    [
        "AlwaysAdmit", "NamespaceAutoProvision", NamespaceLifecycle, "NamespaceExists", "LimitPodHardAntiAffinityTopology",
        "LimitRanger", ServiceAccount, NodeRestriction, "TaintNodesByCondition", "AlwaysPullImages", "ImagePolicyWebhook",
        "PodSecurity", "PodNodeSelector", "Priority", "DefaultTolerationSeconds", "PodTolerationRestriction", "EventRateLimit",
        "ExtendedResourceToleration", "DefaultStorageClass", "StorageObjectInUseProtection", "OwnerReferencesPermissionEnforcement",
        "PersistentVolumeClaimResize", "RuntimeClass", "CertificateApproval", "CertificateSigning", "ClusterTrustBundleAttest",
        "CertificateSubjectRestriction", "DefaultIngressClass", "DenyServiceExternalIPs", "PodTopologyLabels",
        "MutatingAdmissionPolicy", "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook",
        "ResourceQuota", "AlwaysDeny",
    ];

    /// <summary>The implemented plugins left on by the two flags' lists; a FormatException says what is wrong.</summary>
    public static IReadOnlySet<string> Resolve(IReadOnlyList<string> enable, IReadOnlyList<string> disable)
    {
        var errors = new List<string>();
        errors.AddRange(enable.Where(n => !Known.Contains(n, StringComparer.Ordinal)).Select(n => $"enable-admission-plugins plugin \"{n}\" is unknown"));
        errors.AddRange(disable.Where(n => !Known.Contains(n, StringComparer.Ordinal)).Select(n => $"disable-admission-plugins plugin \"{n}\" is unknown"));
        var overlap = enable.Intersect(disable, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (overlap.Count > 0)
        {
            errors.Add($"[{string.Join(' ', overlap)}] in enable-admission-plugins and disable-admission-plugins overlapped");
        }

        errors.AddRange(enable.Where(n => Known.Contains(n, StringComparer.Ordinal) && !Implemented.Contains(n, StringComparer.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Select(n => $"admission plugin {n} is not supported by monokube (it enforces {string.Join(", ", Implemented)})"));
        if (errors.Count > 0)
        {
            throw new FormatException(string.Join("; ", errors));
        }

        return Implemented.Except(disable, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
    }
}
