using System.Text;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>
/// CertificateSigningRequests: the requester's identity (username, uid, groups, extra) is recorded from the
/// authenticated user, never from the body; the spec cannot change after creation; the request must be a PEM
/// CERTIFICATE REQUEST and the signer and usages are required.
/// </summary>
public sealed class CertificateSigningRequestStrategy : ResourceStrategy
{
    private static readonly string[] KnownUsages =
    [
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
        "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
        "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
        "microsoft sgc", "netscape sgc",
    ];

    public override IReadOnlyDictionary<string, Func<JsonObject, string?>> SelectableFields { get; } = new Dictionary<string, Func<JsonObject, string?>>
    {
        ["spec.signerName"] = o => o.GetString("spec.signerName"),
    };

    public override void PrepareForCreate(StrategyContext context, ResourceDefinition resource, JsonObject obj)
    {
        base.PrepareForCreate(context, resource, obj);
        var spec = obj.GetOrAddObject("spec");
        foreach (var field in new[] { "username", "uid", "groups", "extra" })
        {
            spec.Remove(field);
        }

        if (context.User is not { } user)
        {
            return;
        }

        spec["username"] = user.Name;
        if (user.Uid is { Length: > 0 } uid)
        {
            spec["uid"] = uid;
        }

        if (user.Groups.Count > 0)
        {
            spec["groups"] = new JsonArray([.. user.Groups.Select(g => (JsonNode)g)]);
        }

        if (user.Extra.Count > 0)
        {
            var extra = new JsonObject();
            foreach (var (key, values) in user.Extra)
            {
                extra[key] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
            }

            spec["extra"] = extra;
        }
    }

    public override void PrepareForUpdate(StrategyContext context, ResourceDefinition resource, JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(context, resource, obj, old);
        obj.SetOrRemove("spec", old["spec"]?.DeepClone());
    }

    public override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var request = obj.GetString("spec.request");
        if (string.IsNullOrEmpty(request))
        {
            causes.Add(FieldErrors.Required("spec.request"));
        }
        else if (!IsPemRequest(request))
        {
            causes.Add(FieldErrors.Invalid("spec.request", "<bytes>", "PEM block type must be CERTIFICATE REQUEST"));
        }

        if (string.IsNullOrEmpty(obj.GetString("spec.signerName")))
        {
            causes.Add(FieldErrors.Required("spec.signerName"));
        }

        if (obj.Find("spec.usages") is not JsonArray { Count: > 0 } usages)
        {
            causes.Add(FieldErrors.Required("spec.usages"));
            return;
        }

        for (var i = 0; i < usages.Count; i++)
        {
            var usage = usages[i]?.ToString();
            if (!KnownUsages.Contains(usage))
            {
                causes.Add(FieldErrors.NotSupported($"spec.usages[{i}]", usage, KnownUsages));
            }
        }
    }

    private static bool IsPemRequest(string base64)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(base64));
            return System.Security.Cryptography.PemEncoding.TryFind(text, out var fields) && text[fields.Label] is "CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST";
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
