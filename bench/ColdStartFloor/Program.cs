// The smallest native Kestrel server that answers /readyz, started and printed the way `monokube serve
// --insecure-http --secure-port 0` is (its arguments are ignored): what a cold start costs before monokube adds anything.
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
var app = builder.Build();
app.MapGet("/readyz", () => "ok");
await app.StartAsync();
Console.WriteLine($"coldstart-floor: serving on {app.Urls.First()}");
await app.WaitForShutdownAsync();
