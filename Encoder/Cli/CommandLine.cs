namespace Edge.Encoder.Cli;

/// <summary><c>--name value</c> options and <c>--flag</c> switches, with unknown names refused.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandLine()
    {
    }

    /// <summary>Everything not consumed, for the host (e.g. <c>--urls</c>).</summary>
    public List<string> Rest { get; } = [];

    public static CommandLine Parse(IEnumerable<string> args, IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags, bool passRest = false)
    {
        var line = new CommandLine();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            var (name, inline) = arg.IndexOf('=', StringComparison.Ordinal) is > 2 and var eq && arg.StartsWith("--", StringComparison.Ordinal)
                ? (arg[..eq], arg[(eq + 1)..])
                : (arg, null);
            if (flags.Contains(name))
            {
                line._flags.Add(name);
            }
            else if (options.Contains(name))
            {
                if (inline is null && !e.MoveNext())
                {
                    throw new UsageException($"{name} needs a value");
                }

                if (!line._values.TryGetValue(name, out var list))
                {
                    line._values[name] = list = [];
                }

                list.Add(inline ?? e.Current);
            }
            else if (passRest)
            {
                line.Rest.Add(arg);
            }
            else
            {
                throw new UsageException($"unknown option '{arg}'");
            }
        }

        return line;
    }

    /// <summary>The last value given for an option.</summary>
    public string? Value(string name) => _values.GetValueOrDefault(name)?[^1];

    /// <summary>Every value given for an option that may repeat.</summary>
    public IReadOnlyList<string> Values(string name) => _values.GetValueOrDefault(name) ?? [];

    public string Required(string name) => Value(name) ?? throw new UsageException($"{name} is required");

    public bool Flag(string name) => _flags.Contains(name);

    public double Number(string name, double fallback) =>
        Value(name) is not { } text ? fallback
        : double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
        : throw new UsageException($"{name} must be a number, not '{text}'");
}

/// <summary>A command line the program cannot act on.</summary>
internal sealed class UsageException(string message) : Exception(message);
