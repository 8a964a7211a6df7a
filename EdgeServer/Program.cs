using Edge.EdgeServer;
using Microsoft.Extensions.Options;

try
{
    var app = EdgeApplication.Build(args);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    Console.Error.WriteLine("edge: invalid configuration:");
    foreach (var failure in ex.Failures)
    {
        Console.Error.WriteLine("  " + failure);
    }

    return 2;
}
catch (InvalidOperationException ex) when (ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
{
    // The binder names the key it could not convert, e.g. 'Edge:CacheMaxBytes'.
    Console.Error.WriteLine("edge: invalid configuration: " + ex.Message);
    return 2;
}
