using Microsoft.AspNetCore.Http;

namespace Monokube.ApiServer.Api;

public static class StatusWriter
{
    public static Task WriteAsync(HttpContext context, Status status)
    {
        context.Response.StatusCode = status.Code;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(status, ApiJsonContext.Compact.Status, "application/json", context.RequestAborted);
    }
}
