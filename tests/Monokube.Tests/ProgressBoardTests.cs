using Microsoft.Extensions.Time.Testing;
using Monokube.Bootstrap.Start;

namespace Monokube.Tests;

/// <summary>monokube start's progress: plain lines for logs and pipes, a board redrawn in place on a terminal.</summary>
public sealed class ProgressBoardTests
{
    [Fact]
    public void Plain_output_is_one_timestamped_line_per_event_and_per_change()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter { NewLine = "\n" };
        var board = new ProgressBoard(output, live: false, time);
        board.Log("created manifests/a.yaml: Namespace x");
        time.Advance(TimeSpan.FromSeconds(1.5));
        board.Set("kube-apiserver", "no pod yet", done: false);
        board.Set("kube-apiserver", "no pod yet", done: false);
        board.Tick();
        time.Advance(TimeSpan.FromSeconds(1));
        board.Set("kube-apiserver", "1/1 running and ready", done: true);
        board.Close();
        board.Detail("kube-scheduler: no pod yet");

        Assert.Equal(
            "[   0.0s] created manifests/a.yaml: Namespace x\n" +
            "[   1.5s] kube-apiserver: no pod yet\n" +
            "[   2.5s] kube-apiserver: 1/1 running and ready\n" +
            "  kube-scheduler: no pod yet\n",
            output.ToString());
        Assert.DoesNotContain('\u001b', output.ToString());
    }

    [Fact]
    public void On_a_terminal_the_board_is_redrawn_in_place_below_the_events_and_stays_when_closed()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter { NewLine = "\n" };
        var board = new ProgressBoard(output, live: true, time, width: 60);
        board.Set("kube-apiserver", "no pod yet", done: false);
        board.Set("nodes", "0/1 Ready; master-0: KubeletNotReady " + new string('x', 80), done: false);
        var first = output.ToString();
        Assert.Equal(
            "waiting for the control plane, 0.0s:\n" +
            "  .. kube-apiserver  no pod yet (since 0.0s)\n" +
            "  .. nodes           0/1 Ready; master-0: KubeletNotReady x\n",
            first[first.LastIndexOf("waiting", StringComparison.Ordinal)..]);
        Assert.All(first.Split('\n'), line => Assert.True(line.Length < 60, line));

        // An event goes above the board: the board (3 lines) is erased, the line written, the board drawn again.
        time.Advance(TimeSpan.FromSeconds(2));
        output.GetStringBuilder().Clear();
        board.Log("labelled node master-0");
        Assert.StartsWith("\u001b[3F\u001b[J[   2.0s] labelled node master-0\nwaiting for the control plane, 2.0s:\n", output.ToString(), StringComparison.Ordinal);

        output.GetStringBuilder().Clear();
        board.Set("kube-apiserver", "1/1 running and ready", done: true);
        Assert.Contains("  ok kube-apiserver  1/1 running and ready (since 2.0s)\n", output.ToString(), StringComparison.Ordinal);

        // Closed, the board stays where it is and what follows is plain.
        board.Close();
        output.GetStringBuilder().Clear();
        board.Log("handing the apiserver port over");
        Assert.Equal("[   2.0s] handing the apiserver port over\n", output.ToString());
    }
}
