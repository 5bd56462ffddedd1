using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.Node.Runtime;

/// <summary>
/// One readiness, liveness or startup probe of a process container, with the kubelet's timing fields
/// (initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold, failureThreshold) and its actions:
/// httpGet (2xx/3xx succeeds; HTTPS without verifying the certificate), tcpSocket (a connection), exec (exit 0).
/// </summary>
internal sealed class Probe(JsonObject spec, JsonObject container, string defaultHost, Func<IReadOnlyList<string>, IReadOnlyList<string>> commandLine, IReadOnlyDictionary<string, string> environment)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
    });

    public TimeSpan InitialDelay => Seconds("initialDelaySeconds", 0);

    public TimeSpan Period => Seconds("periodSeconds", 10);

    public int SuccessThreshold => Count("successThreshold");

    public int FailureThreshold => Count("failureThreshold", 3);

    private TimeSpan Timeout => Seconds("timeoutSeconds", 1);

    /// <summary>Runs the probe once: null when it succeeded, else why it failed.</summary>
    public async Task<string?> RunAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            if (spec["httpGet"] is JsonObject http)
            {
                return await HttpGetAsync(http, timeout.Token);
            }

            if (spec["tcpSocket"] is JsonObject tcp)
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(tcp.GetString("host") ?? defaultHost, Port(tcp["port"]), timeout.Token);
                return null;
            }

            if (spec["exec"] is JsonObject exec)
            {
                return await ExecAsync(exec, timeout.Token);
            }

            return "the process runtime runs httpGet, tcpSocket and exec probes only";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"probe timed out after {Timeout.TotalSeconds:0}s";
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or System.ComponentModel.Win32Exception or FormatException)
        {
            return e.Message;
        }
    }

    private async Task<string?> HttpGetAsync(JsonObject http, CancellationToken cancellationToken)
    {
        var scheme = (http.GetString("scheme") ?? "HTTP").ToLowerInvariant();
        var host = http.GetString("host") ?? defaultHost;
        var path = http.GetString("path") ?? "/";
        var uri = new Uri($"{scheme}://{(host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host)}:{Port(http["port"])}{(path.StartsWith('/') ? path : "/" + path)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.33");
        foreach (var header in (http["httpHeaders"] as JsonArray ?? []).OfType<JsonObject>())
        {
            request.Headers.TryAddWithoutValidation(header.GetString("name") ?? "", header.GetString("value"));
        }

        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var code = (int)response.StatusCode;
        return code is >= 200 and < 400 ? null : $"HTTP probe failed with statuscode: {code}";
    }

    private async Task<string?> ExecAsync(JsonObject exec, CancellationToken cancellationToken)
    {
        var command = commandLine([.. (exec["command"] as JsonArray ?? []).Select(w => w?.ToString() ?? "")]);
        if (command.Count == 0)
        {
            return "exec probe without a command";
        }

        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return process.ExitCode == 0 ? null : $"command exited with {process.ExitCode}: {(await output + await error).Trim()}";
    }

    // A number, or the name of one of the container's ports.
    private int Port(JsonNode? port)
    {
        var text = port?.ToString() ?? "";
        if (int.TryParse(text, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        var named = (container["ports"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(p => p.GetString("name") == text);
        return named?["containerPort"] is JsonValue value ? int.Parse(value.ToJsonString(), CultureInfo.InvariantCulture) : throw new FormatException($"the container has no port named \"{text}\"");
    }

    private TimeSpan Seconds(string field, int fallback) => TimeSpan.FromSeconds(Count(field, fallback));

    private int Count(string field, int fallback = 1) =>
        spec[field] is JsonValue v && int.TryParse(v.ToJsonString(), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;
}
