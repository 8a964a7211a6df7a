using Edge.ControlPlane;
using Edge.ControlPlane.Topology;
using Microsoft.Extensions.Options;

try
{
    var app = ControlPlaneApplication.Build(args);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    Console.Error.WriteLine("control-plane: invalid configuration:");
    foreach (var failure in ex.Failures)
    {
        Console.Error.WriteLine("  " + failure);
    }

    return 2;
}
catch (TopologyException ex)
{
    Console.Error.WriteLine("control-plane: invalid configuration: " + ex.Message);
    return 2;
}
catch (InvalidOperationException ex) when (ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine("control-plane: invalid configuration: " + ex.Message);
    return 2;
}
