using Edge.Encoder.Origin;

const string Usage = """
    usage:
      Encoder serve --content <dir> [--urls http://127.0.0.1:8000]
          serve a published content directory as the CDN's origin
    """;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

switch (args[0])
{
    case "serve":
        var content = ValueOf(args, "--content");
        if (content is null)
        {
            Console.Error.WriteLine("encoder: serve needs --content <dir>");
            return 2;
        }

        try
        {
            await OriginHost.Build(content, args[1..]).RunAsync();
            return 0;
        }
        catch (DirectoryNotFoundException ex)
        {
            Console.Error.WriteLine("encoder: " + ex.Message);
            return 2;
        }

    default:
        Console.Error.WriteLine($"encoder: unknown command '{args[0]}'");
        Console.Error.WriteLine(Usage);
        return 2;
}

static string? ValueOf(string[] args, string name)
{
    for (var i = 0; i < args.Length - 1; i++)
    {
        if (args[i] == name)
        {
            return args[i + 1];
        }
    }

    return args.FirstOrDefault(a => a.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
}
