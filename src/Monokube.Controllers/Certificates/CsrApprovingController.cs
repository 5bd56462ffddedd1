using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Certificates;

/// <summary>
/// kube-controller-manager's certificatesigningrequest-approving-controller: a pending kubelet client CSR
/// (kubernetes.io/kube-apiserver-client-kubelet) is approved when it is what a kubelet asks for and a
/// SubjectAccessReview says its requester may create certificatesigningrequests/selfnodeclient (a node renewing
/// its own certificate) or certificatesigningrequests/nodeclient (a new node, usually a bootstrap token); a kubelet CSR
/// whose requester may not (yet) is looked at again with backoff. Anything else is left for a person (kubectl
/// certificate approve|deny).
/// </summary>
public sealed class CsrApprovingController : Controller
{
    private readonly Informer _csrs;

    public CsrApprovingController(ControllerContext context)
        : base("certificatesigningrequest-approving-controller", context)
    {
        _csrs = Watch(ResourceRef.CertificateSigningRequests, e =>
        {
            if (e.Type != InformerEventType.Deleted)
            {
                Queue.Add(e.Key);
            }
        });
    }

    public override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_csrs.Get(key) is not { } obj || obj.GetString("spec.signerName") != Csr.KubeletClientSigner)
        {
            return;
        }

        if (Csr.Parse(obj) is not { } csr || csr.IsApproved || csr.IsDenied || csr.IsFailed || !csr.IsNodeClient)
        {
            return;
        }

        var (subresource, message) = csr.IsSelfNodeClient
            ? ("selfnodeclient", "Auto approving self kubelet client certificate after SubjectAccessReview.")
            : ("nodeclient", "Auto approving kubelet client certificate after SubjectAccessReview.");
        if (!await AllowedAsync(obj, subresource, cancellationToken))
        {
            if (subresource == "selfnodeclient" && await AllowedAsync(obj, "nodeclient", cancellationToken))
            {
                message = "Auto approving kubelet client certificate after SubjectAccessReview.";
            }
            else
            {
                // Tried again with backoff, as kube's approver does: the permission may come later (a node that
                // asks before its bootstrap RBAC is created).
                throw new RetryLaterException($"recognized csr \"{obj.GetString("metadata.name")}\" as [{subresource}] but subject access review was not approved");
            }
        }

        var approved = obj.DeepClone().AsObject();
        var conditions = approved.GetOrAddObject("status")["conditions"] as JsonArray ?? [];
        var now = KubeTime.Format(Context.Time.GetUtcNow());
        conditions.Add((JsonNode)new JsonObject
        {
            ["type"] = "Approved",
            ["status"] = "True",
            ["reason"] = "AutoApproved",
            ["message"] = message,
            ["lastUpdateTime"] = now,
            ["lastTransitionTime"] = now,
        });
        approved.GetOrAddObject("status")["conditions"] = conditions;
        await Client.UpdateAsync(ResourceRef.CertificateSigningRequests, approved, cancellationToken, subresource: "approval");
    }

    // Asks the API whether the CSR's requester may create the given certificatesigningrequests subresource.
    private async Task<bool> AllowedAsync(JsonObject csr, string subresource, CancellationToken cancellationToken)
    {
        var spec = new JsonObject
        {
            ["user"] = csr.GetString("spec.username"),
            ["resourceAttributes"] = new JsonObject
            {
                ["group"] = "certificates.k8s.io",
                ["resource"] = "certificatesigningrequests",
                ["subresource"] = subresource,
                ["verb"] = "create",
            },
        };
        if (csr.GetString("spec.uid") is { Length: > 0 } uid)
        {
            spec["uid"] = uid;
        }

        if (csr.Find("spec.groups") is JsonArray groups)
        {
            spec["groups"] = groups.DeepClone();
        }

        if (csr.Find("spec.extra") is JsonObject extra)
        {
            spec["extra"] = extra.DeepClone();
        }

        var review = await Client.CreateAsync(ResourceRef.SubjectAccessReviews, null, new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SubjectAccessReview",
            ["spec"] = spec,
        }, cancellationToken);
        return review.Find("status.allowed") is JsonValue allowed && allowed.GetValue<bool>();
    }
}
