namespace Edge.Testing;

/// <summary>Edge nodes in processes of their own.</summary>
public static class EdgeProcess
{
    public const string Assembly = "EdgeServer.dll";

    public static HostProcess Launch(params string[] args) => HostProcess.Launch(Assembly, args);

    public static Task<HostProcess> StartAsync(params string[] args) => HostProcess.StartAsync(Assembly, args);
}

/// <summary>Control-plane replicas in processes of their own.</summary>
public static class ControlPlaneProcess
{
    public const string Assembly = "ControlPlane.dll";

    public static HostProcess Launch(params string[] args) => HostProcess.Launch(Assembly, args);

    public static Task<HostProcess> StartAsync(params string[] args) => HostProcess.StartAsync(Assembly, args);
}
