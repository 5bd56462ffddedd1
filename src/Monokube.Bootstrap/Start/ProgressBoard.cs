using System.Globalization;
using System.Text;

namespace Monokube.Bootstrap.Start;

/// <summary>
/// What monokube start shows while it works. Plain (a log, a pipe, CI): one timestamped line per event and per change
/// of a component's state. Live (a terminal): events still scroll as lines, and below them a board of every
/// component's current state, redrawn in place with the elapsed time, which stays on screen when start is done.
/// </summary>
public sealed class ProgressBoard(TextWriter output, bool live, TimeProvider time, int width = 120)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private readonly List<(string Component, string State, bool Done, string Since)> _rows = [];
    private int _drawn;
    private bool _closed;

    /// <summary>Whether this process's standard output is a terminal that understands cursor movement.</summary>
    public static bool IsTerminal =>
        !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is { Length: > 0 } term && term != "dumb";

    public string Elapsed => (time.GetUtcNow() - _started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";

    /// <summary>An event: a line of its own, above the board.</summary>
    public void Log(string line)
    {
        var text = $"[{Elapsed,7}] {line}";
        if (live && !_closed)
        {
            Erase();
            output.WriteLine(text);
            Draw();
        }
        else
        {
            output.WriteLine(text);
        }

        output.Flush();
    }

    /// <summary>A component's state, and whether it is done; only a change shows (a line when plain, the board when live).</summary>
    public void Set(string component, string state, bool done)
    {
        var index = _rows.FindIndex(r => r.Component == component);
        if (index >= 0 && _rows[index].State == state)
        {
            return;
        }

        var row = (component, state, done, Elapsed);
        if (index >= 0)
        {
            _rows[index] = row;
        }
        else
        {
            _rows.Add(row);
        }

        if (live && !_closed)
        {
            Redraw();
        }
        else
        {
            Log($"{component}: {state}");
        }
    }

    /// <summary>Live: the elapsed time moves on.</summary>
    public void Tick()
    {
        if (live && !_closed)
        {
            Redraw();
        }
    }

    /// <summary>Live: the board is drawn a last time and left on screen; what follows is plain lines.</summary>
    public void Close()
    {
        if (live && !_closed)
        {
            Redraw();
            _closed = true;
        }
    }

    /// <summary>Live: the board comes back below what has been written since it was closed (start serves again).</summary>
    public void Open()
    {
        _closed = false;
        _drawn = 0;
    }

    /// <summary>An indented line under the last one, without a time (a diagnosis).</summary>
    public void Detail(string line)
    {
        output.WriteLine("  " + line);
        output.Flush();
    }

    private void Redraw()
    {
        Erase();
        Draw();
        output.Flush();
    }

    // Back to the board's first line and clear to the end of the screen.
    private void Erase()
    {
        if (_drawn > 0)
        {
            output.Write($"\u001b[{_drawn}F\u001b[J");
            _drawn = 0;
        }
    }

    private void Draw()
    {
        if (_rows.Count == 0)
        {
            return;
        }

        var name = _rows.Max(r => r.Component.Length);
        var lines = new List<string> { $"waiting for the control plane, {Elapsed}:" };
        lines.AddRange(_rows.Select(r => $"  {(r.Done ? "ok" : ".."),-2} {r.Component.PadRight(name)}  {r.State} (since {r.Since})"));
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            // A line wider than the terminal would wrap and the board would no longer know its height.
            text.Append(line.Length < width ? line : line[..(width - 1)]).Append('\n');
        }

        output.Write(text.ToString());
        _drawn = lines.Count;
    }
}
