using Monokube.ApiServer.Admission;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Security;
using Monokube.ApiServer.Security.Authentication;
using Monokube.ApiServer.Security.Authorization;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

/// <summary>
/// The answered-not-stored APIs: TokenReview, SelfSubjectReview, (Self/Local)SubjectAccessReview,
/// SelfSubjectRulesReview, and the TokenRequest of serviceaccounts/&lt;name&gt;/token.
/// </summary>
public sealed class ReviewHandler(ApiContext api, SecurityContext security)
{
    public async Task HandleAsync(HttpContext context, ResourceDefinition resource, string? ns)
    {
        var (review, _) = await RequestBody.ReadObjectAsync(context);
        review["apiVersion"] ??= resource.ApiVersion;
        review["kind"] ??= resource.Kind;
        var user = RequestUser.Get(context);
        var status = resource.Plural switch
        {
            "tokenreviews" => await TokenReviewAsync(review, context.RequestAborted),
            "selfsubjectreviews" => new JsonObject { ["userInfo"] = UserJson(user) },
            "selfsubjectaccessreviews" => await AccessReviewAsync(user, review, null, context.RequestAborted),
            "subjectaccessreviews" => await AccessReviewAsync(SpecUser(review), review, null, context.RequestAborted),
            "localsubjectaccessreviews" => await AccessReviewAsync(SpecUser(review), review, ns, context.RequestAborted),
            "selfsubjectrulesreviews" => RulesReview(user, review),
            _ => throw new ApiException(Statuses.MethodNotAllowed("the server does not allow this method on the requested resource")),
        };

        review["status"] = status;
        review.GetOrAddObject("metadata")["creationTimestamp"] = null;
        context.Response.StatusCode = StatusCodes.Status201Created;
        await ObjectWriter.WriteBytesAsync(context, "application/json", JsonOutput.ToBytes(review));
    }

    /// <summary>
    /// POST serviceaccounts/&lt;name&gt;/token: a bound, audience-scoped token for the service account, decided in
    /// kube-apiserver's order: the body's name and namespace, the account, validation, admission, the bound object.
    /// </summary>
    public async Task TokenRequestAsync(HttpContext context, string ns, string name)
    {
        var (request, _) = await RequestBody.ReadObjectAsync(context);
        var meta = request.GetOrAddObject("metadata");
        foreach (var (field, value, wanted, what) in new[] { ("metadata.name", meta.GetString("name"), name, "name"), ("metadata.namespace", meta.GetString("namespace"), ns, "namespace") })
        {
            if (!string.IsNullOrEmpty(value) && value != wanted)
            {
                throw new ApiException(TokenRequestInvalid(name, FieldErrors.Invalid(field, value, $"must match the service account {what} if specified")));
            }
        }

        var account = await api.Store.GetAsync($"/serviceaccounts/{ns}/{name}", context.RequestAborted);
        if (!account.IsOk)
        {
            throw new ApiException(Statuses.NotFound("", "serviceaccounts", name));
        }

        var spec = request.GetOrAddObject("spec");
        var seconds = spec.GetLong("expirationSeconds") ?? 3600;
        spec["expirationSeconds"] = seconds;
        if (seconds < 600 || seconds > 1L << 32)
        {
            // kube validates the request before naming it: the Status has an empty name.
            throw new ApiException(TokenRequestInvalid("", FieldErrors.Invalid("spec.expirationSeconds", JsonValue.Create(seconds),
                seconds < 600 ? "may not specify a duration less than 10 minutes" : "may not specify a duration larger than 2^32 seconds")));
        }

        var serviceAccounts = api.Registry.Find("", "v1", "serviceaccounts")!;
        await api.Admission.ValidateAsync(new AdmissionRequest(RequestUser.Get(context), serviceAccounts, "token", AdmissionOperation.Create, ns, name, request, null), context.RequestAborted);

        // Admission saw the audiences as asked (NodeRestriction matches them against the pod's volumes); unset,
        // they are the API's.
        var audiences = (spec["audiences"] as JsonArray)?.Select(a => a?.ToString() ?? "").ToList() ?? [];
        if (audiences.Count == 0)
        {
            audiences = [.. security.Tokens.EffectiveAudiences()];
            spec["audiences"] = new JsonArray([.. audiences.Select(a => (JsonNode)a)]);
        }

        var accountUid = StoredValueFormat.ReadUid(account.Object!.Value);
        var claims = new JsonObject
        {
            ["sub"] = $"system:serviceaccount:{ns}:{name}",
            ["aud"] = new JsonArray([.. audiences.Select(a => (JsonNode)a)]),
            ["kubernetes.io"] = new JsonObject
            {
                ["namespace"] = ns,
                ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = accountUid },
            },
        };

        var podBound = false;
        if (spec["boundObjectRef"] is JsonObject bound)
        {
            var boundName = bound.GetString("name") ?? "";
            var (group, version) = SplitApiVersion(bound.GetString("apiVersion") ?? "");
            var kind = bound.GetString("kind") ?? "";
            var (plural, key) = (group, kind) switch
            {
                ("", "Pod") => ("pods", $"/pods/{ns}/{boundName}"),
                ("", "Secret") => ("secrets", $"/secrets/{ns}/{boundName}"),
                ("", "Node") when api.Options.Release.HasNodeRestrictionsOf133 => ("nodes", "/minions/" + boundName),
                _ => throw new ApiException(Statuses.BadRequest($"cannot bind token to object of type {group}/{version}, Kind={kind}")),
            };
            var stored = await api.Store.GetAsync(key, context.RequestAborted);
            if (!stored.IsOk)
            {
                throw new ApiException(Statuses.NotFound("", plural, boundName));
            }

            var boundObject = JsonBodyParser.Parse(stored.Object!.Value) as JsonObject ?? [];
            if (kind == "Pod" && (boundObject.GetString("spec.serviceAccountName") ?? "") != name)
            {
                throw new ApiException(Statuses.BadRequest($"cannot bind token for serviceaccount \"{name}\" to pod running with different serviceaccount name."));
            }

            var uid = boundObject.GetString("metadata.uid");
            if (bound.GetString("uid") is { Length: > 0 } wanted && wanted != uid)
            {
                throw new ApiException(new Status
                {
                    Message = $"Operation cannot be fulfilled on {kind} \"{boundName}\": the UID in the bound object reference ({wanted}) does not match the UID in record. The object might have been deleted and then recreated",
                    Reason = "Conflict",
                    Details = new StatusDetails { Name = boundName, Kind = kind },
                    Code = 409,
                });
            }

            claims["kubernetes.io"]![kind.ToLowerInvariant()] = new JsonObject { ["name"] = boundName, ["uid"] = uid };
            podBound = kind == "Pod";
        }

        // --service-account-extend-token-expiration (on by default): a pod-bound token of the kubelet's default
        // 3607 s, for the API's audiences, lasts a year and says when it should have been refreshed (warnafter).
        var now = api.Time.GetUtcNow();
        var lifetime = TimeSpan.FromSeconds(seconds);
        if (podBound && seconds == WarnOnlyExpirationSeconds && audiences.All(a => security.Tokens.EffectiveAudiences().Contains(a)))
        {
            claims["kubernetes.io"]!["warnafter"] = (now + lifetime).ToUnixTimeSeconds();
            lifetime = TimeSpan.FromSeconds(ExtendedExpirationSeconds);
        }

        var token = security.Tokens.Sign(claims, now, lifetime);
        request["apiVersion"] = "authentication.k8s.io/v1";
        request["kind"] = "TokenRequest";
        meta["name"] = name;
        meta["namespace"] = ns;
        meta["creationTimestamp"] = KubeTime.Format(now);
        request["status"] = new JsonObject { ["token"] = token, ["expirationTimestamp"] = KubeTime.Format(now + TimeSpan.FromSeconds(seconds)) };
        context.Response.StatusCode = StatusCodes.Status201Created;
        await ObjectWriter.WriteBytesAsync(context, "application/json", JsonOutput.ToBytes(request));
    }

    // kube's token.WarnOnlyBoundTokenExpirationSeconds and token.ExpirationExtensionSeconds.
    private const long WarnOnlyExpirationSeconds = 3607;
    private const long ExtendedExpirationSeconds = 365L * 24 * 60 * 60;

    private static Status TokenRequestInvalid(string name, StatusCause cause) => new()
    {
        Message = FieldErrors.InvalidMessage("TokenRequest.authentication.k8s.io", name, [cause]),
        Reason = "Invalid",
        Details = new StatusDetails { Name = name.Length > 0 ? name : null, Group = "authentication.k8s.io", Kind = "TokenRequest", Causes = [cause] },
        Code = 422,
    };

    private static (string Group, string Version) SplitApiVersion(string apiVersion) =>
        apiVersion.IndexOf('/') is var slash and >= 0 ? (apiVersion[..slash], apiVersion[(slash + 1)..]) : ("", apiVersion);

    private async Task<JsonObject> TokenReviewAsync(JsonObject review, CancellationToken cancellationToken)
    {
        var token = review.GetString("spec.token") ?? "";
        var audiences = (review.Find("spec.audiences") as JsonArray)?.Select(a => a?.ToString() ?? "").Where(a => a.Length > 0).ToList() ?? [];
        var accepted = audiences.Count > 0 ? audiences : [.. security.Tokens.EffectiveAudiences()];
        var result = await security.Authenticator.AuthenticateTokenAsync(token, accepted, cancellationToken);
        if (result.User is { } user)
        {
            return new JsonObject
            {
                ["authenticated"] = true,
                ["user"] = UserJson(user),
                ["audiences"] = new JsonArray([.. accepted.Select(a => (JsonNode)a)]),
            };
        }

        return new JsonObject { ["user"] = new JsonObject(), ["error"] = result.Failure ?? "invalid bearer token" };
    }

    private async Task<JsonObject> AccessReviewAsync(UserInfo user, JsonObject review, string? ns, CancellationToken cancellationToken)
    {
        AuthorizationAttributes attributes;
        if (review.Find("spec.resourceAttributes") is JsonObject resource)
        {
            var reviewNamespace = resource.GetString("namespace") ?? "";
            if (ns is not null && reviewNamespace.Length > 0 && reviewNamespace != ns)
            {
                throw new ApiException(Statuses.BadRequest($"spec.resourceAttributes.namespace must be the namespace of the request ({ns})"));
            }

            attributes = new AuthorizationAttributes(user, resource.GetString("verb") ?? "", true,
                ApiGroup: resource.GetString("group") ?? "", ApiVersion: resource.GetString("version") ?? "",
                Resource: resource.GetString("resource") ?? "", Subresource: resource.GetString("subresource") ?? "",
                Namespace: ns ?? reviewNamespace, Name: resource.GetString("name") ?? "",
                FieldSelector: resource.GetString("fieldSelector.rawSelector") ?? "");
        }
        else if (review.Find("spec.nonResourceAttributes") is JsonObject nonResource)
        {
            attributes = new AuthorizationAttributes(user, nonResource.GetString("verb") ?? "", false, Path: nonResource.GetString("path") ?? "");
        }
        else
        {
            throw new ApiException(Statuses.BadRequest("spec.resourceAttributes or spec.nonResourceAttributes is required"));
        }

        var (allowed, reason) = await security.Authorizer.AuthorizeAsync(attributes, cancellationToken);
        var status = new JsonObject { ["allowed"] = allowed };
        if (reason.Length > 0)
        {
            status["reason"] = reason;
        }

        return status;
    }

    private JsonObject RulesReview(UserInfo user, JsonObject review)
    {
        var ns = review.GetString("spec.namespace") ?? "";
        var rules = security.Rbac.RulesFor(user, ns).ToList();
        if (user.InGroup(UserInfo.Masters))
        {
            rules.Add(PolicyRule.For(["*"], ["*"], "*"));
            rules.Add(PolicyRule.NonResource(["*"], "*"));
        }

        if (NodeAuthorizer.NodeName(user) is not null)
        {
            rules.AddRange(security.NodeRules);
        }

        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        foreach (var rule in rules)
        {
            if (rule.NonResourceUrls.Count > 0)
            {
                nonResourceRules.Add((JsonNode)new JsonObject { ["verbs"] = Strings(rule.Verbs), ["nonResourceURLs"] = Strings(rule.NonResourceUrls) });
            }
            else
            {
                var item = new JsonObject { ["verbs"] = Strings(rule.Verbs), ["apiGroups"] = Strings(rule.ApiGroups), ["resources"] = Strings(rule.Resources) };
                if (rule.ResourceNames.Count > 0)
                {
                    item["resourceNames"] = Strings(rule.ResourceNames);
                }

                resourceRules.Add((JsonNode)item);
            }
        }

        return new JsonObject { ["resourceRules"] = resourceRules, ["nonResourceRules"] = nonResourceRules, ["incomplete"] = false };
    }

    private static UserInfo SpecUser(JsonObject review)
    {
        var spec = review.GetObject("spec") ?? [];
        var groups = (spec["groups"] as JsonArray)?.Select(g => g?.ToString() ?? "").ToList() ?? [];
        var extra = new Dictionary<string, IReadOnlyList<string>>();
        if (spec["extra"] is JsonObject extras)
        {
            foreach (var (key, values) in extras)
            {
                extra[key] = (values as JsonArray)?.Select(v => v?.ToString() ?? "").ToList() ?? [];
            }
        }

        return new UserInfo(spec.GetString("user") ?? "", spec.GetString("uid"), groups, extra);
    }

    private static JsonObject UserJson(UserInfo user)
    {
        var obj = new JsonObject { ["username"] = user.Name };
        if (user.Uid is not null)
        {
            obj["uid"] = user.Uid;
        }

        obj["groups"] = Strings(user.Groups);
        if (user.Extra.Count > 0)
        {
            var extra = new JsonObject();
            foreach (var (key, values) in user.Extra)
            {
                extra[key] = Strings(values);
            }

            obj["extra"] = extra;
        }

        return obj;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);
}
