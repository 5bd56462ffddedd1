using System.Text.Json.Nodes;
using Monokube.ApiServer.Selectors;

namespace Monokube.ApiServer.Tests.Unit;

public sealed class LabelSelectorTests
{
    private static JsonObject Labels(string json) => JsonNode.Parse(json)!.AsObject();

    [Theory]
    [InlineData("app=web", """{"app":"web"}""", true)]
    [InlineData("app==web", """{"app":"web"}""", true)]
    [InlineData("app!=web", """{"app":"web"}""", false)]
    [InlineData("app!=web", """{}""", true)]
    [InlineData("tier in (a, b)", """{"tier":"b"}""", true)]
    [InlineData("tier notin (a,b)", """{"tier":"c"}""", true)]
    [InlineData("tier notin (a,b)", """{}""", true)]
    [InlineData("tier", """{"tier":""}""", true)]
    [InlineData("!tier", """{"tier":"x"}""", false)]
    [InlineData("!tier", """{}""", true)]
    [InlineData("app=web,tier in (a),!legacy", """{"app":"web","tier":"a"}""", true)]
    [InlineData("app=web,tier in (a),!legacy", """{"app":"web","tier":"a","legacy":"1"}""", false)]
    [InlineData("example.com/role=db", """{"example.com/role":"db"}""", true)]
    [InlineData("app=", """{"app":""}""", true)]
    public void Selectors_match_as_in_kubernetes(string selector, string labels, bool expected)
    {
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels(labels)));
    }

    [Theory]
    [InlineData("app=web=x")]
    [InlineData("tier in a")]
    [InlineData("-bad=x")]
    [InlineData("app=no spaces")]
    [InlineData("a/b/c=d")]
    [InlineData(",")]
    public void Malformed_selectors_are_refused(string selector)
    {
        Assert.Throws<FormatException>(() => LabelSelector.Parse(selector));
    }

    [Fact]
    public void Label_selector_objects_combine_match_labels_and_expressions()
    {
        var selector = LabelSelector.FromObject(Labels("""{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]},{"key":"old","operator":"DoesNotExist"}]}"""));
        Assert.True(selector.Matches(Labels("""{"app":"web","tier":"a"}""")));
        Assert.False(selector.Matches(Labels("""{"app":"web","tier":"c"}""")));
        Assert.False(selector.Matches(Labels("""{"app":"web","tier":"a","old":"x"}""")));
    }

    [Fact]
    public void Field_selectors_parse_equality_and_inequality_with_escapes()
    {
        var selector = FieldSelector.Parse("metadata.name=a\\,b,status.phase!=Running,spec.nodeName==n1");
        Assert.Equal(3, selector.Requirements.Count);
        Assert.Equal("a,b", selector.Requirements[0].Value);
        Assert.False(selector.Requirements[1].Equal);
        Assert.Equal("n1", selector.ExactValue("spec.nodeName"));
        Assert.True(selector.Matches(f => f switch { "metadata.name" => "a,b", "status.phase" => "Pending", _ => "n1" }));
        Assert.Throws<FormatException>(() => FieldSelector.Parse("metadata.name"));
    }
}
