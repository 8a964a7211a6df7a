var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
var app = builder.Build();

// Steering, topology and health tracking live here; until then the host only reports that it is alive.
app.MapGet("/healthz", () => "ok\n");
app.Run();
