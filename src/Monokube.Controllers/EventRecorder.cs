using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Controllers;

/// <summary>
/// Records events.k8s.io/v1 Events about objects (Scheduled, FailedScheduling, SuccessfulCreate...), as the
/// kube components do, named &lt;object&gt;.&lt;hex time&gt;. Recording is best effort: a failure is logged, never thrown.
/// </summary>
public sealed partial class EventRecorder(KubeClient client, TimeProvider time, string controller, string instance, ILogger logger)
{
    private static readonly ResourceRef Events = new("events.k8s.io", "v1", "events", true);

    public async Task RecordAsync(JsonObject regarding, string type, string reason, string action, string note, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ns = regarding.GetString("metadata.namespace") is { Length: > 0 } n ? n : "default";
        var name = regarding.GetString("metadata.name") + "." + (now.ToUnixTimeMilliseconds() * 1_000_000).ToString("x", CultureInfo.InvariantCulture);
        var reference = new JsonObject
        {
            ["apiVersion"] = regarding["apiVersion"]?.DeepClone(),
            ["kind"] = regarding["kind"]?.DeepClone(),
            ["namespace"] = regarding.GetString("metadata.namespace"),
            ["name"] = regarding.GetString("metadata.name"),
            ["uid"] = regarding.GetString("metadata.uid"),
            ["resourceVersion"] = regarding.GetString("metadata.resourceVersion"),
        };
        var e = new JsonObject
        {
            ["apiVersion"] = "events.k8s.io/v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["eventTime"] = KubeTime.FormatMicro(now),
            ["reportingController"] = controller,
            ["reportingInstance"] = instance,
            ["action"] = action,
            ["reason"] = reason,
            ["regarding"] = reference,
            ["note"] = note.Length > 1024 ? note[..1024] : note,
            ["type"] = type,
        };
        try
        {
            await client.CreateAsync(Events, ns, e, cancellationToken);
        }
        catch (KubeApiException ex)
        {
            LogFailed(logger, reason, ex.Message);
        }
    }

    [LoggerMessage(EventId = 7301, Level = LogLevel.Debug, Message = "could not record a {Reason} event: {Error}")]
    private static partial void LogFailed(ILogger logger, string reason, string error);
}
