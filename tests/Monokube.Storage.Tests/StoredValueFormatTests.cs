using System.Text;

namespace Monokube.Storage.Tests;

public sealed class StoredValueFormatTests
{
    [Theory]
    [InlineData("""{"metadata":{"name":"a","resourceVersion":"1"}}""", """{"metadata":{"name":"a"}}""")]
    [InlineData("""{"metadata":{"resourceVersion":"1","name":"a"}}""", """{"metadata":{"name":"a"}}""")]
    [InlineData("""{"metadata":{"resourceVersion":"1"}}""", """{"metadata":{}}""")]
    [InlineData("""{"metadata":{"name":"a","resourceVersion":"1","selfLink":"/x"}}""", """{"metadata":{"name":"a"}}""")]
    [InlineData("""{"metadata":{"resourceVersion":"1","selfLink":"/x","name":"a"}}""", """{"metadata":{"name":"a"}}""")]
    [InlineData("""{"metadata":{"resourceVersion":"1","name":"a","selfLink":"/x"}}""", """{"metadata":{"name":"a"}}""")]
    [InlineData("""{ "metadata" : { "name" : "a" , "resourceVersion" : "1" } , "x" : 1 }""", """{ "metadata" : { "name" : "a"  } , "x" : 1 }""")]
    [InlineData("""{"spec":{"resourceVersion":"keep"},"metadata":{"name":"a"}}""", """{"spec":{"resourceVersion":"keep"},"metadata":{"name":"a"}}""")]
    [InlineData("""{"kind":"X"}""", """{"kind":"X"}""")]
    public void ToStored_removes_only_metadata_resourceVersion_and_selfLink(string input, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(StoredValueFormat.ToStored(Encoding.UTF8.GetBytes(input))));
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"a"}}""", """{"metadata":{"resourceVersion":"42","name":"a"}}""")]
    [InlineData("""{"metadata":{}}""", """{"metadata":{"resourceVersion":"42"}}""")]
    [InlineData("""{"kind":"X"}""", """{"metadata":{"resourceVersion":"42"},"kind":"X"}""")]
    [InlineData("""{}""", """{"metadata":{"resourceVersion":"42"}}""")]
    [InlineData("""{"kind":"X","metadata":{"name":"a"}}""", """{"kind":"X","metadata":{"resourceVersion":"42","name":"a"}}""")]
    public void WithResourceVersion_sets_metadata_resourceVersion(string input, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(StoredValueFormat.WithResourceVersion(Encoding.UTF8.GetBytes(input), 42)));
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"a","uid":"u-1"}}""", "u-1")]
    [InlineData("""{"spec":{"uid":"no"},"metadata":{"name":"a"}}""", null)]
    [InlineData("""{"kind":"X"}""", null)]
    [InlineData("""not json""", null)]
    public void ReadUid_reads_metadata_uid(string input, string? expected)
    {
        Assert.Equal(expected, StoredValueFormat.ReadUid(Encoding.UTF8.GetBytes(input)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("{\"a\":")]
    [InlineData("{} {}")]
    [InlineData("{\"metadata\":{\"resourceVersion\":")]
    public void ToStored_refuses_anything_but_one_JSON_object(string input)
    {
        Assert.Throws<ArgumentException>(() => StoredValueFormat.ToStored(Encoding.UTF8.GetBytes(input)));
    }
}
