using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>Events are validated as kube-apiserver v1.26 validates them (messages checked against it).</summary>
public sealed class EventValidationTests(MemoryApiServerFixture server) : IClassFixture<MemoryApiServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    // An old-style event (no eventTime) about a namespaced object lives in that object's namespace.
    [InlineData("default", """{"involvedObject":{"kind":"Pod","name":"p","namespace":"other"},"reason":"R"}""", "involvedObject.namespace: Invalid value: \"other\": does not match event.namespace")]
    // About a cluster-scoped object: only in default (or no namespace).
    [InlineData("kube-system", """{"involvedObject":{"kind":"Node","name":"n"},"reason":"R"}""", "involvedObject.namespace: Invalid value: \"\": does not match event.namespace")]
    // With an eventTime, kube-system is allowed too, but the reporter, instance and action are required.
    [InlineData("kube-system", """{"involvedObject":{"kind":"Node","name":"n"},"eventTime":"2026-12-08T00:00:00.000000Z","reason":"R"}""", "[reportingComponent: Required value, reportingComponent: Invalid value: \"\": name part must be non-empty, reportingComponent: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), reportingInstance: Required value, action: Required value]")]
    public async Task Core_events_that_kube_refuses_are_refused(string ns, string body, string expected)
    {
        var (code, status) = await CreateAsync($"/api/v1/namespaces/{ns}/events", """{"metadata":{"generateName":"e-"},""" + body[1..]);
        Assert.Equal(422, code);
        Assert.EndsWith(expected, status["message"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_kube_accepts_are_stored()
    {
        Assert.Equal(201, (await CreateAsync("/api/v1/namespaces/default/events", """{"metadata":{"name":"no-reason"},"involvedObject":{"kind":"Node","name":"n"},"type":"Odd"}""")).Code);
        Assert.Equal(201, (await CreateAsync("/api/v1/namespaces/default/events",
            """{"metadata":{"name":"prefixed"},"involvedObject":{"kind":"Node","name":"n"},"eventTime":"2026-12-08T00:00:00.000000Z","reportingComponent":"a/b","reportingInstance":"i","action":"A","reason":"R"}""")).Code);
        Assert.Equal(201, (await CreateAsync("/api/v1/namespaces/default/events", """{"metadata":{"name":"node.Upper_Case"},"involvedObject":{"kind":"Node","name":"n"},"reason":"R"}""")).Code);
        Assert.Equal(201, (await CreateAsync("/apis/events.k8s.io/v1/namespaces/kube-system/events",
            """{"metadata":{"name":"e1"},"regarding":{"kind":"Node","name":"n"},"eventTime":"2026-12-08T00:00:00.000000Z","reportingController":"monokube.io/start","reportingInstance":"host","action":"Pivot","reason":"Done","type":"Normal"}""")).Code);
    }

    [Fact]
    public async Task Events_k8s_io_events_are_checked_strictly()
    {
        var (code, status) = await CreateAsync("/apis/events.k8s.io/v1/namespaces/default/events",
            """{"metadata":{"name":"e2"},"regarding":{"kind":"Node","name":"n"},"eventTime":"2026-12-08T00:00:00.000000Z","reportingController":"c","reportingInstance":"i","action":"A","reason":"R","type":"Odd","deprecatedCount":3}""");
        Assert.Equal(422, code);
        Assert.Equal("Event \"e2\" is invalid: [type: Invalid value: \"\": has invalid value: Odd, count: Invalid value: \"\": needs to be unset]", status["message"]!.ToString());
    }

    private async Task<(int Code, JsonNode Body)> CreateAsync(string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await server.Http.PostAsync(path, content, Ct);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!);
    }
}
