using System.Globalization;
using System.Runtime.InteropServices;

namespace Monokube.Node.Runtime;

/// <summary>The few process calls .NET does not offer: signals to a process group, and telling a live process
/// from a reused pid (its start time in /proc).</summary>
internal static partial class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends a signal to every process of the group led by <paramref name="leader"/>.</summary>
    public static void SignalGroup(int leader, int signal)
    {
        if (Kill(-leader, signal) != 0)
        {
            Kill(leader, signal);
        }
    }

    /// <summary>The process's start time (clock ticks since boot), or null when it is gone or a zombie.</summary>
    public static long? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) may hold spaces and parentheses; the fields after the last ')' are plain.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] is "Z" or "X")
        {
            return null;
        }

        return long.Parse(fields[19], CultureInfo.InvariantCulture);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
