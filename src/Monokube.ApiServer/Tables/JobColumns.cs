using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;

namespace Monokube.ApiServer.Tables;

public static class JobColumns
{
    public static IReadOnlyList<TableColumn> Job { get; } =
    [
        CommonColumns.Name,
        TableColumn.Text("Status", JobStatus, 0, "Status of the job."),
        TableColumn.Text("Completions", Completions, 0, "The completed job replicas."),
        new("Duration", "string", "", "Time required to complete the job.", 0, (o, now) => JsonValue.Create(Duration(o, now))),
        CommonColumns.Age,
        CommonColumns.Containers("spec.template.spec.containers"),
        CommonColumns.Images("spec.template.spec.containers"),
        CommonColumns.Selector(),
    ];

    public static IReadOnlyList<TableColumn> CronJob { get; } =
    [
        CommonColumns.Name,
        TableColumn.Text("Schedule", o => o.GetString("spec.schedule"), 0, "The schedule in Cron format."),
        TableColumn.Text("Timezone", o => o.GetString("spec.timeZone") is { Length: > 0 } tz ? tz : "<none>", 0, "The time zone for the schedule."),
        TableColumn.Text("Suspend", o => o.Find("spec.suspend") is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.True ? "True" : "False", 0, "Whether the cron job is suspended."),
        TableColumn.Number("Active", o => (o.Find("status.active") as JsonArray)?.Count ?? 0, 0, "Number of active jobs."),
        new("Last Schedule", "string", "", "Time since the last schedule.", 0, (o, now) => JsonValue.Create(KubeTime.TryParse(o.GetString("status.lastScheduleTime"), out var t) ? HumanDuration.Format(now - t) : "<none>")),
        CommonColumns.Age,
        CommonColumns.Containers("spec.jobTemplate.spec.template.spec.containers"),
        CommonColumns.Images("spec.jobTemplate.spec.template.spec.containers"),
        CommonColumns.Selector("spec.jobTemplate.spec.selector"),
    ];

    private static string Completions(JsonObject job)
    {
        var succeeded = CommonColumns.Int(job, "status.succeeded");
        if (job.Find("spec.completions") is JsonValue v && v.TryGetValue<long>(out var completions))
        {
            return $"{succeeded}/{completions}";
        }

        var parallelism = job.Find("spec.parallelism") is JsonValue p && p.TryGetValue<long>(out var n) ? n : 1;
        return parallelism > 1 ? $"{succeeded}/1 of {parallelism}" : $"{succeeded}/1";
    }

    private static string JobStatus(JsonObject job)
    {
        var conditions = (job.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().Where(c => c.GetString("status") == "True").Select(c => c.GetString("type")).ToList() ?? [];
        if (conditions.Contains("Complete"))
        {
            return "Complete";
        }

        if (conditions.Contains("Failed"))
        {
            return "Failed";
        }

        if (new ObjectMeta(job).DeletionTimestamp is not null)
        {
            return "Terminating";
        }

        if (conditions.Contains("SuccessCriteriaMet"))
        {
            return "SuccessCriteriaMet";
        }

        if (conditions.Contains("FailureTarget"))
        {
            return "FailureTarget";
        }

        return job.Find("spec.suspend") is JsonValue s && s.GetValueKind() == System.Text.Json.JsonValueKind.True ? "Suspended" : "Running";
    }

    private static string Duration(JsonObject job, DateTimeOffset now)
    {
        if (!KubeTime.TryParse(job.GetString("status.startTime"), out var start))
        {
            return "";
        }

        return KubeTime.TryParse(job.GetString("status.completionTime"), out var end) ? HumanDuration.Format(end - start) : HumanDuration.Format(now - start);
    }
}
