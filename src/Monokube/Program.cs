using System.Runtime.InteropServices;
using Monokube.Commands;

using var stop = new CancellationTokenSource();
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await Cli.RunAsync(args, new CliContext(Console.Out, Console.Error), stop.Token);

void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
