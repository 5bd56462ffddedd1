using System.Globalization;

namespace Monokube.Bench;

/// <summary>A scenario's figures as a markdown table: what was measured, the value, and its target when it has one.</summary>
internal sealed class ResultTable
{
    private readonly List<(string Measure, string Value, string Target, bool? Met)> _rows = [];

    public void Add(string measure, string value, string target = "", bool? met = null) => _rows.Add((measure, value, target, met));

    public void AddAtLeast(string measure, double value, double target, string format, string unit = "") =>
        Add(measure, Format(value, format) + unit, ">= " + Format(target, format) + unit, value >= target);

    public void AddAtMost(string measure, double value, double target, string format, string unit = "") =>
        Add(measure, Format(value, format) + unit, "<= " + Format(target, format) + unit, value <= target);

    public async Task WriteAsync(TextWriter output)
    {
        await output.WriteLineAsync();
        await output.WriteLineAsync("| measure | value | target | met |");
        await output.WriteLineAsync("|---|---:|---:|---|");
        foreach (var (measure, value, target, met) in _rows)
        {
            await output.WriteLineAsync($"| {measure} | {value} | {target} | {met switch { true => "yes", false => "**no**", null => "" }} |");
        }

        await output.WriteLineAsync();
    }

    public static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
