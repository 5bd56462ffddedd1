using System.Globalization;
using System.Text;
using Monokube.ApiServer.Requests;

namespace Monokube.CommandLine;

/// <summary>
/// The flags of one command, parsed as Kubernetes components parse theirs (spf13/pflag): "--name=value" or
/// "--name value", a bare "--name" for a bool, "--name=false" to turn one off, "--" ending the flags.
/// </summary>
internal sealed class FlagSet(string command, string usage, string description)
{
    private readonly List<Flag> _flags = [];

    public string Command { get; } = command;

    public IReadOnlyList<Flag> Flags => _flags;

    public Flag<string> String(string name, string defaultValue, string help) =>
        Add(new Flag<string>(name, "string", help, defaultValue, defaultValue.Length == 0 ? "" : Quote(defaultValue), v => v));

    public Flag<string> Choice(string name, string defaultValue, string help, params string[] choices) =>
        Add(new Flag<string>(name, "string", help, defaultValue, Quote(defaultValue), v => choices.Contains(v, StringComparer.Ordinal)
            ? v
            : throw new FormatException("must be one of " + string.Join(", ", choices))));

    public Flag<bool> Bool(string name, bool defaultValue, string help) =>
        Add(new Flag<bool>(name, "", help, defaultValue, defaultValue ? "true" : "", ParseBool));

    public Flag<int> Int(string name, int defaultValue, string help) =>
        Add(new Flag<int>(name, "int", help, defaultValue, defaultValue == 0 ? "" : defaultValue.ToString(CultureInfo.InvariantCulture), v => int.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)));

    public Flag<TimeSpan> Duration(string name, TimeSpan defaultValue, string help) =>
        Add(new Flag<TimeSpan>(name, "duration", help, defaultValue, defaultValue == TimeSpan.Zero ? "" : GoDuration.Format(defaultValue), GoDuration.Parse));

    /// <summary>A comma-separated list that may also be repeated ("--a=x,y --a=z").</summary>
    public Flag<IReadOnlyList<string>> StringList(string name, string help) =>
        Add(new Flag<IReadOnlyList<string>>(name, "strings", help, [], "", v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), accumulate: true));

    /// <summary>Parses <paramref name="args"/>; returns the positional arguments, or null when help was asked for.</summary>
    public IReadOnlyList<string>? Parse(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                positional.AddRange(args.Skip(i + 1));
                break;
            }

            if (arg is "-h" or "--help" or "-help")
            {
                return null;
            }

            if (!arg.StartsWith('-') || arg == "-")
            {
                positional.Add(arg);
                continue;
            }

            // pflag accepts --name only; kube's shorthand "-v" is its one single-dash flag.
            var body = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg.Length == 2 ? arg[1..] : throw new CommandLineException($"unknown shorthand flag: '{arg[1]}' in {arg}");
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            var name = equals >= 0 ? body[..equals] : body;
            var flag = _flags.FirstOrDefault(f => f.Name == name) ?? throw new CommandLineException($"unknown flag: --{name}");
            if (equals >= 0)
            {
                flag.Set(body[(equals + 1)..]);
            }
            else if (flag.IsBool)
            {
                flag.Set("true");
            }
            else if (i + 1 < args.Count)
            {
                flag.Set(args[++i]);
            }
            else
            {
                throw new CommandLineException($"flag needs an argument: --{name}");
            }
        }

        return positional;
    }

    public string Help()
    {
        var text = new StringBuilder();
        text.Append(description.TrimEnd()).Append("\n\nUsage:\n  ").Append(usage).Append("\n\nFlags:\n");
        var rows = _flags.OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => (Left: (f.Name.Length == 1 ? "  -" + f.Name + ", --" : "      --") + f.Name + (f.IsBool ? "" : " " + f.TypeName), Flag: (Flag?)f))
            .Append((Left: "  -h, --help", Flag: (Flag?)null))
            .ToList();
        var width = rows.Max(r => r.Left.Length) + 3;
        foreach (var (left, flag) in rows)
        {
            var help = flag is null ? "help for " + Command : flag.Help + (flag.DefaultText.Length > 0 ? $" (default {flag.DefaultText})" : "");
            text.Append(left.PadRight(width)).Append(help.Replace("\n", "\n" + new string(' ', width), StringComparison.Ordinal)).Append('\n');
        }

        return text.ToString();
    }

    private T Add<T>(T flag)
        where T : Flag
    {
        if (_flags.Any(f => f.Name == flag.Name))
        {
            throw new InvalidOperationException($"flag --{flag.Name} is defined twice");
        }

        _flags.Add(flag);
        return flag;
    }

    private static bool ParseBool(string value) => value switch
    {
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => throw new FormatException("strconv.ParseBool: parsing \"" + value + "\": invalid syntax"),
    };

    private static string Quote(string value) => "\"" + value + "\"";
}
