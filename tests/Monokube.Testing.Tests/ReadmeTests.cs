using Monokube.TestSupport;

namespace Monokube.Testing.Tests;

public sealed class ReadmeTests
{
    private const string SampleFile = "tests/Monokube.Testing.Tests/Samples/ConfigMapTests.cs";

    [Fact]
    public void The_readme_sample_is_the_tested_file()
    {
        var root = RepositoryRoot.Find();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var mention = readme.IndexOf("`" + SampleFile + "`", StringComparison.Ordinal);
        Assert.True(mention >= 0, $"the README no longer names {SampleFile}");
        var start = readme.IndexOf("```csharp\n", mention, StringComparison.Ordinal) + "```csharp\n".Length;
        var sample = readme[start..readme.IndexOf("```\n", start, StringComparison.Ordinal)];

        // The file carries one comment more, saying why it must not change alone.
        var file = string.Join('\n', File.ReadAllLines(Path.Combine(root, SampleFile)).Where(l => !l.StartsWith("// The README's sample", StringComparison.Ordinal))) + "\n";
        Assert.Equal(file, sample);
    }
}
