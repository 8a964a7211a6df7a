using System.Text;
using FFMpegCore;
using FFMpegCore.Exceptions;

namespace Edge.Encoder.Encoding;

/// <summary>One ffmpeg output: its file and the arguments that precede it.</summary>
public sealed record FfmpegOutput(string Path, IReadOnlyList<string> Arguments);

/// <summary>Runs one ffmpeg command through FFMpegCore: one input, any number of outputs, progress and cancellation.</summary>
public sealed class FfmpegRunner(Toolchain toolchain)
{
    public Toolchain Toolchain => toolchain;

    /// <summary>
    /// Runs ffmpeg and returns its log. Cancelling kills ffmpeg at once (the caller discards the outputs) and throws
    /// <see cref="OperationCanceledException"/>; a failure throws with ffmpeg's last log lines. With a
    /// <paramref name="stopGrace"/>, cancelling first asks ffmpeg to stop (so it finishes what it is writing) and
    /// kills it only after that long.
    /// </summary>
    public async Task<IReadOnlyList<string>> RunAsync(
        IReadOnlyList<(string Path, IReadOnlyList<string> Arguments)> inputs,
        IReadOnlyList<FfmpegOutput> outputs,
        Action<TimeSpan>? progress,
        CancellationToken cancellationToken,
        TimeSpan stopGrace = default)
    {
        var arguments = FFMpegArguments.FromFileInput(inputs[0].Path, verifyExists: false, o => o.WithCustomArgument(Join(inputs[0].Arguments)));
        foreach (var (path, args) in inputs.Skip(1))
        {
            arguments = arguments.AddFileInput(path, verifyExists: false, o => o.WithCustomArgument(Join(args)));
        }

        var processor = outputs.Count == 1
            ? arguments.OutputToFile(outputs[0].Path, overwrite: true, o => o.WithCustomArgument(Join(outputs[0].Arguments)))
            : arguments.OutputToMany(many =>
            {
                foreach (var output in outputs)
                {
                    many.OutputToFile(output.Path, overwrite: true, o => o.WithCustomArgument(Join(output.Arguments)));
                }
            });

        var log = new List<string>();
        processor = processor
            .NotifyOnStandardError(line =>
            {
                lock (log)
                {
                    log.Add(line);
                }
            })
            .CancellableThrough(cancellationToken, stopGrace);
        if (progress is not null)
        {
            processor = processor.NotifyOnProgress(progress);
        }

        try
        {
            var result = await processor.ProcessAsynchronously(throwOnError: false, toolchain.Options, CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            if (!result.Success)
            {
                throw new FFMpegException($"ffmpeg exited with code {result.ExitCode}: {Tail(log)}", null!);
            }
        }
        catch (FFMpegException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        lock (log)
        {
            return [.. log];
        }
    }

    /// <summary>Joins arguments into one command line, quoting any with spaces or shell characters the way .NET splits them again.</summary>
    public static string Join(IEnumerable<string> arguments)
    {
        var builder = new StringBuilder();
        foreach (var argument in arguments)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            if (argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '+' or '='))
            {
                builder.Append(argument);
                continue;
            }

            builder.Append('"');
            foreach (var c in argument)
            {
                if (c == '"')
                {
                    builder.Append('\\');
                }

                builder.Append(c);
            }

            builder.Append('"');
        }

        return builder.ToString();
    }

    private static string Tail(List<string> log)
    {
        lock (log)
        {
            return string.Join('\n', log.TakeLast(8));
        }
    }
}
