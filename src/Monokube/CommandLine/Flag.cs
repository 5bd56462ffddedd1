namespace Monokube.CommandLine;

/// <summary>One --flag of a command, in pflag's spelling (kube-apiserver, kubelet).</summary>
internal abstract class Flag(string name, string typeName, string help, string defaultText)
{
    public string Name { get; } = name;

    /// <summary>The value's type as --help shows it ("string", "int", "duration"); empty for a bool.</summary>
    public string TypeName { get; } = typeName;

    public string Help { get; } = help;

    public string DefaultText { get; } = defaultText;

    public bool IsBool => TypeName.Length == 0;

    /// <summary>True once the flag was given on the command line.</summary>
    public bool Changed { get; protected set; }

    public abstract void Set(string value);
}

internal sealed class Flag<T>(string name, string typeName, string help, T defaultValue, string defaultText, Func<string, T> parse, bool accumulate = false)
    : Flag(name, typeName, help, defaultText)
{
    public T Value { get; private set; } = defaultValue;

    public override void Set(string value)
    {
        T parsed;
        try
        {
            parsed = parse(value);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new CommandLineException($"invalid argument \"{value}\" for \"--{Name}\" flag: {e.Message}");
        }

        if (accumulate && Changed && Value is IReadOnlyList<string> previous && parsed is IReadOnlyList<string> more)
        {
            Value = (T)(object)previous.Concat(more).ToList();
        }
        else
        {
            Value = parsed;
        }

        Changed = true;
    }
}
