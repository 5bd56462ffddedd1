namespace Monokube.Differential.Tests;

/// <summary>One comparison: what the real server and monokube answered, normalized to what must agree.</summary>
public sealed record Comparison(string Case, string Real, string Monokube)
{
    public bool Differs => Real != Monokube;
}

/// <summary>
/// The differences between monokube and the real kube-apiserver that are known and explained, read from
/// known-differences.tsv (test, case, reason). A comparison fails on a difference the file does not list, on a
/// listed one that no longer differs (the file must stay true), and on any difference where monokube allows what kube
/// refuses: those can never be listed.
/// </summary>
public static class KnownDifferences
{
    private static readonly Lazy<IReadOnlyList<(string Test, string Case, string Reason)>> Listed = new(Load);

    public static void Check(string test, IReadOnlyList<Comparison> comparisons, Func<Comparison, bool> monokubeAllowsMore, [System.Runtime.CompilerServices.CallerMemberName] string method = "")
    {
        var listed = Listed.Value.Where(l => l.Test == test).ToDictionary(l => l.Case, l => l.Reason, StringComparer.Ordinal);
        listed = listed.Where(l => comparisons.Any(c => c.Case == l.Key) || l.Key.StartsWith(Prefix(comparisons), StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var comparison in comparisons.Where(c => c.Differs))
        {
            if (monokubeAllowsMore(comparison))
            {
                problems.Add($"MONOKUBE ALLOWS WHAT KUBE REFUSES (never acceptable): {comparison.Case}\n    kube:     {comparison.Real}\n    monokube: {comparison.Monokube}");
            }
            else if (!listed.ContainsKey(comparison.Case))
            {
                problems.Add($"unexplained difference: {comparison.Case}\n    kube:     {comparison.Real}\n    monokube: {comparison.Monokube}");
            }
        }

        var cases = comparisons.ToDictionary(c => c.Case, StringComparer.Ordinal);
        foreach (var (name, _) in listed)
        {
            if (!cases.TryGetValue(name, out var comparison))
            {
                problems.Add($"known-differences.tsv lists {test} / {name}, which this test no longer compares");
            }
            else if (!comparison.Differs)
            {
                problems.Add($"known-differences.tsv lists {test} / {name}, but the two servers now agree: remove the line");
            }
        }

        // Every difference in full beside the test binary, for a reader; the failure message keeps each one short.
        var report = Path.Combine(AppContext.BaseDirectory, $"differences-{test}.{method}.txt");
        File.WriteAllText(report, string.Join("\n\n", comparisons.Where(c => c.Differs).Select(c => $"{c.Case}\n  kube:     {c.Real}\n  monokube: {c.Monokube}")));
        Assert.True(problems.Count == 0, $"{comparisons.Count} comparisons, {comparisons.Count(c => c.Differs)} differences, {problems.Count} problems (all differences: {report}):\n"
            + string.Join("\n", problems.Select(p => p.Length > 600 ? p[..600] + "..." : p)));
    }

    // The cases of one comparison share a prefix ("authz: ", "request: "); listed lines of other comparisons are theirs.
    private static string Prefix(IReadOnlyList<Comparison> comparisons) =>
        comparisons.Count == 0 ? "\0" : comparisons[0].Case[..(comparisons[0].Case.IndexOf(':') + 1)];

    private static IReadOnlyList<(string, string, string)> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "known-differences.tsv");
        return [.. File.ReadAllLines(path)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Select(f => f.Length == 3 && f[2].Length > 0 ? (f[0], f[1], f[2]) : throw new FormatException("known-differences.tsv: every line is test<TAB>case<TAB>reason: " + string.Join("|", f)))];
    }
}
