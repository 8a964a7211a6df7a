using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.Contracts.Logging;

/// <summary>How often one kind of log event may be written (<c>Logging:RepeatLimit:*</c>).</summary>
public sealed class RepeatLimitOptions
{
    public const string SectionName = "Logging:RepeatLimit";

    /// <summary>
    /// Events of one kind (category, event id and level) written per window; more are counted and summed up in one
    /// line when the window ends. 0 turns the limit off.
    /// </summary>
    /// <remarks>Defaults to 20: a flood from outside (resets, bad requests, an origin down) costs at most this many lines a minute per kind.</remarks>
    public int EventsPerWindow { get; set; } = 20;

    /// <summary>The window the limit counts over.</summary>
    /// <remarks>Defaults to 1 minute.</remarks>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Registration of the repeat limit on every logger the host hands out.</summary>
public static class RepeatLimitedLogging
{
    /// <summary>
    /// Wraps the host's <see cref="ILoggerFactory"/> so repeated events of one kind are written at most
    /// <see cref="RepeatLimitOptions.EventsPerWindow"/> times per window. Logs are an attack surface: a flood of
    /// bad input must not become a flood of lines. Debug and Trace are not limited; they are off unless asked for.
    /// </summary>
    public static IServiceCollection AddRepeatLimitedLogging(this IServiceCollection services)
    {
        services.AddOptions<RepeatLimitOptions>().BindConfiguration(RepeatLimitOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RepeatLimitOptions>, RepeatLimitOptionsValidator>());
        services.TryAddSingleton<LoggerFactory>();
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new RepeatLimitedLoggerFactory(
            sp.GetRequiredService<LoggerFactory>(),
            sp.GetRequiredService<IOptions<RepeatLimitOptions>>().Value,
            sp.GetService<TimeProvider>() ?? TimeProvider.System)));
        return services;
    }
}

internal sealed class RepeatLimitOptionsValidator : IValidateOptions<RepeatLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RepeatLimitOptions options)
    {
        var failures = new List<string>();
        if (options.EventsPerWindow < 0)
        {
            failures.Add($"{RepeatLimitOptions.SectionName}:{nameof(RepeatLimitOptions.EventsPerWindow)} must be 0 (off) or more (got {options.EventsPerWindow})");
        }

        if (options.Window <= TimeSpan.Zero)
        {
            failures.Add($"{RepeatLimitOptions.SectionName}:{nameof(RepeatLimitOptions.Window)} must be positive (got {options.Window})");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

/// <summary>
/// An <see cref="ILoggerFactory"/> over another whose loggers drop repeats of one kind of event beyond a number per
/// window, and say how many they dropped once the window ends. Filters and providers stay the inner factory's.
/// </summary>
public sealed partial class RepeatLimitedLoggerFactory : ILoggerFactory
{
    private readonly ILoggerFactory _inner;
    private readonly TimeProvider _time;
    private readonly int _limit;
    private readonly long _windowTicks;
    private readonly ConcurrentDictionary<Kind, Counter> _counters = new();
    private readonly ITimer? _timer;

    public RepeatLimitedLoggerFactory(ILoggerFactory inner, RepeatLimitOptions options, TimeProvider time)
    {
        _inner = inner;
        _time = time;
        _limit = options.EventsPerWindow;
        _windowTicks = (long)(options.Window.TotalSeconds * time.TimestampFrequency);
        if (_limit > 0)
        {
            _timer = time.CreateTimer(static state => ((RepeatLimitedLoggerFactory)state!).Flush(), this, options.Window, options.Window);
        }
    }

    private long _suppressed;

    /// <summary>Events dropped by the limit since start.</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);

    public ILogger CreateLogger(string categoryName)
    {
        var logger = _inner.CreateLogger(categoryName);
        return _limit > 0 ? new RepeatLimitedLogger(this, logger, categoryName) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    public void Dispose()
    {
        _timer?.Dispose();
        Flush();
    }

    /// <summary>Whether this event may be written; counts it either way.</summary>
    private bool Admit(ILogger logger, string category, LogLevel level, EventId eventId, string? format)
    {
        // Event id 0 is shared by every unnamed event of a category; its format string (bounded by code) tells them apart.
        var counter = _counters.GetOrAdd(new Kind(category, eventId.Id, level, eventId.Id == 0 ? format : null), static (_, state) => new Counter(state.Logger, state.Level, state.EventId), (Logger: logger, Level: level, EventId: eventId));
        var now = _time.GetTimestamp();
        lock (counter)
        {
            if (now - counter.WindowStart >= _windowTicks)
            {
                counter.Report();
                counter.WindowStart = now;
                counter.Written = 0;
            }

            if (counter.Written < _limit)
            {
                counter.Written++;
                return true;
            }

            counter.Dropped++;
        }

        Interlocked.Increment(ref _suppressed);
        return false;
    }

    private void Flush()
    {
        var now = _time.GetTimestamp();
        foreach (var counter in _counters.Values)
        {
            lock (counter)
            {
                if (now - counter.WindowStart >= _windowTicks)
                {
                    counter.Report();
                    counter.WindowStart = now;
                    counter.Written = 0;
                }
            }
        }
    }

    [LoggerMessage(Message = "{Dropped} more events like {EventId} were not written (Logging:RepeatLimit:EventsPerWindow)")]
    private static partial void LogDropped(ILogger logger, LogLevel level, EventId eventId, long dropped);

    private readonly record struct Kind(string Category, int EventId, LogLevel Level, string? Format);

    private sealed class Counter(ILogger logger, LogLevel level, EventId eventId)
    {
        public long WindowStart = long.MinValue / 2;
        public int Written;
        public long Dropped;

        /// <summary>Writes the summary of what was dropped in the window that ended; the caller holds the lock.</summary>
        public void Report()
        {
            if (Dropped > 0)
            {
                LogDropped(logger, level, eventId, Dropped);
                Dropped = 0;
            }
        }
    }

    private sealed class RepeatLimitedLogger(RepeatLimitedLoggerFactory owner, ILogger inner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Information || !inner.IsEnabled(logLevel)
                || owner.Admit(inner, category, logLevel, eventId, FormatOf(state)))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }

        private static string? FormatOf<TState>(TState state)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> { Count: > 0 } values && values[^1].Key == "{OriginalFormat}")
            {
                return values[^1].Value as string;
            }

            return null;
        }
    }
}
