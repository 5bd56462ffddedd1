using Monokube.ApiServer.Admission;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
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

    /// <summary>POST serviceaccounts/&lt;name&gt;/token: a bound, audience-scoped token for the service account.</summary>
    public async Task TokenRequestAsync(HttpContext context, string ns, string name)
    {
        var (request, _) = await RequestBody.ReadObjectAsync(context);
        var account = await api.Store.GetAsync($"/serviceaccounts/{ns}/{name}", context.RequestAborted);
        if (!account.IsOk)
        {
            throw new ApiException(Statuses.NotFound("", "serviceaccounts", name));
        }

        var serviceAccounts = api.Registry.Find("", "v1", "serviceaccounts")!;
        await api.Admission.ValidateAsync(new AdmissionRequest(RequestUser.Get(context), serviceAccounts, "token", AdmissionOperation.Create, ns, name, request, null), context.RequestAborted);
        var spec = request.GetOrAddObject("spec");
        var audiences = (spec["audiences"] as JsonArray)?.Select(a => a?.ToString() ?? "").Where(a => a.Length > 0).ToList() ?? [];
        if (audiences.Count == 0)
        {
            audiences = [.. security.Tokens.EffectiveAudiences()];
        }

        var seconds = spec.GetLong("expirationSeconds") ?? 3600;
        if (seconds < 600)
        {
            throw new ApiException(new Status
            {
                Message = "TokenRequest.authentication.k8s.io \"" + name + "\" is invalid: spec.expirationSeconds: Invalid value: " + seconds + ": may not specify a duration less than 10 minutes",
                Reason = "Invalid",
                Details = new StatusDetails { Name = name, Group = "authentication.k8s.io", Kind = "TokenRequest", Causes = [new StatusCause("FieldValueInvalid", "may not specify a duration less than 10 minutes", "spec.expirationSeconds")] },
                Code = 422,
            });
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

        if (spec["boundObjectRef"] is JsonObject bound)
        {
            var kind = bound.GetString("kind");
            var boundName = bound.GetString("name") ?? "";
            var key = kind switch
            {
                "Pod" => $"/pods/{ns}/{boundName}",
                "Secret" => $"/secrets/{ns}/{boundName}",
                "Node" => "/minions/" + boundName,
                _ => throw new ApiException(Statuses.BadRequest($"cannot bind a token to a {kind}: Pod, Secret and Node are supported")),
            };
            var stored = await api.Store.GetAsync(key, context.RequestAborted);
            var uid = stored.IsOk ? StoredValueFormat.ReadUid(stored.Object!.Value) : null;
            if (uid is null || (bound.GetString("uid") is { Length: > 0 } wanted && wanted != uid))
            {
                throw new ApiException(Statuses.NotFound("", kind == "Node" ? "nodes" : kind!.ToLowerInvariant() + "s", boundName));
            }

            claims["kubernetes.io"]![kind.ToLowerInvariant()] = new JsonObject { ["name"] = boundName, ["uid"] = uid };
            bound["uid"] = uid;
        }

        var now = api.Time.GetUtcNow();
        var token = security.Tokens.Sign(claims, now, TimeSpan.FromSeconds(seconds));
        request["apiVersion"] = "authentication.k8s.io/v1";
        request["kind"] = "TokenRequest";
        var meta = request.GetOrAddObject("metadata");
        meta["name"] = name;
        meta["namespace"] = ns;
        meta["creationTimestamp"] = null;
        spec["audiences"] = new JsonArray([.. audiences.Select(a => (JsonNode)a)]);
        spec["expirationSeconds"] = seconds;
        request["status"] = new JsonObject { ["token"] = token, ["expirationTimestamp"] = KubeTime.Format(now + TimeSpan.FromSeconds(seconds)) };
        context.Response.StatusCode = StatusCodes.Status201Created;
        await ObjectWriter.WriteBytesAsync(context, "application/json", JsonOutput.ToBytes(request));
    }

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
            rules.AddRange(NodeAuthorizer.NodeRules);
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
