using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Monokube.TestSupport;

/// <summary>
/// The real kube-apiserver (<see cref="KubernetesBinaries"/>) on 127.0.0.1 and a free port, over a given etcd, with
/// a <see cref="ClusterPki"/>'s credentials; started by a test and stopped (SIGTERM, then killed) on dispose.
/// </summary>
public sealed class KubeApiServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private KubeApiServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Starts kube-apiserver and waits until /readyz answers ok (at most a minute). JSON storage, so monokube reads
    /// what it writes; no endpoint reconciler, as a loopback address cannot be the kubernetes Service's endpoint.
    /// </summary>
    public static async Task<KubeApiServerProcess> StartAsync(ClusterPki pki, string etcdUrl, IEnumerable<string>? extraFlags = null, string etcdPrefix = "/registry")
    {
        var port = FreePort.Next();
        var start = new ProcessStartInfo(KubernetesBinaries.ApiServer)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var flag in new[]
        {
            "--etcd-servers=" + etcdUrl,
            "--etcd-prefix=" + etcdPrefix,
            "--bind-address=127.0.0.1",
            "--secure-port=" + port,
            "--cert-dir=" + Path.Combine(pki.Folder, "kube-apiserver"),
            "--storage-media-type=application/json",
            "--endpoint-reconciler-type=none",
            "--enable-admission-plugins=NodeRestriction",
            "--profiling=false",
        }.Concat(pki.ServerFlags).Concat(extraFlags ?? []))
        {
            start.ArgumentList.Add(flag);
        }

        var process = Process.Start(start)!;
        var server = new KubeApiServerProcess(process, $"https://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = server.Http(ClusterPki.AdminToken, pki);
            await Eventually.WaitAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"kube-apiserver exited with {process.ExitCode}:\n{server.Log}");
                }

                try
                {
                    using var response = await http.GetAsync("/readyz");
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60), "kube-apiserver to be ready");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>An HttpClient for this server trusting the cluster CA, with a bearer token or a client certificate.</summary>
    public HttpClient Http(string? token, ClusterPki pki, X509Certificate2? certificate = null) => CreateHttp(Url, pki.Ca, token, certificate);

    /// <summary>An HttpClient for any server the cluster CA serves (monokube started with the same credentials).</summary>
    public static HttpClient CreateHttp(string url, X509Certificate2 ca, string? token = null, X509Certificate2? certificate = null)
    {
        var trusted = X509CertificateLoader.LoadCertificate(ca.RawData);
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                {
                    if (presented is null)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(trusted);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
                    return chain.Build(leaf);
                },
            },
        };
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
        }

        var client = new HttpClient(handler) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("monokube-tests");
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Writes a kubeconfig for <paramref name="url"/> with the admin token.</summary>
    public static string WriteKubeconfig(string path, string url, ClusterPki pki, string token = ClusterPki.AdminToken)
    {
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: c, cluster: {"{"}server: "{url}", certificate-authority: "{pki.CaFile}"{"}"}{"}"}]
            users: [{"{"}name: u, user: {"{"}token: "{token}"{"}"}{"}"}]
            contexts: [{"{"}name: c, context: {"{"}cluster: c, user: u{"}"}{"}"}]
            current-context: c

            """);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
            await term.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 4 * 1024 * 1024)
            {
                _log.AppendLine(line);
            }
        }
    }
}
