using BlueGreenOperator.Plugin;
using BlueGreenOperator.Plugin.Commands;

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl-C ends a watch cleanly instead of killing the process mid-write.
    e.Cancel = true;
    interrupted.Cancel();
};

var terminal = new Terminal(Console.Out, Console.Error, !Console.IsOutputRedirected, TimeProvider.System);
return await PluginApp.RunAsync(args, terminal, Environment.GetEnvironmentVariable, interrupted.Token);
