using System.Text.Json;
using Edge.Encoder.Encoding;

namespace Edge.Encoder.Ladder;

/// <summary>One rung of a ladder file: lines, average bits/s, and optionally width and frame rate.</summary>
public sealed record LadderFileRung(int Height, long Bitrate, int? Width = null, string? FrameRate = null);

/// <summary>A ladder file: <c>{"rungs":[{"height":720,"bitrate":3000000}, ...]}</c>.</summary>
public sealed record LadderFile(IReadOnlyList<LadderFileRung> Rungs);

/// <summary>A ladder given by the operator in a JSON file. Rungs taller than the source are refused, never upscaled.</summary>
internal sealed class FileLadderPolicy(string path) : ILadderPolicy
{
    public async Task<LadderReport> BuildAsync(SourceInfo source, VideoCodec codec, CancellationToken cancellationToken)
    {
        LadderFile? file;
        try
        {
            await using var stream = File.OpenRead(path);
            file = await JsonSerializer.DeserializeAsync(stream, EncoderJsonContext.Default.LadderFile, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new EncoderException($"ladder file '{path}' cannot be read: {ex.Message}", ex);
        }

        if (file?.Rungs is not { Count: > 0 } rungs)
        {
            throw new EncoderException($"ladder file '{path}': 'rungs' must list at least one rung");
        }

        var result = new List<Rung>();
        for (var i = 0; i < rungs.Count; i++)
        {
            var rung = rungs[i];
            var where = $"ladder file '{path}': rungs[{i}]";
            if (rung.Height <= 0 || rung.Height % 2 != 0)
            {
                throw new EncoderException($"{where}.height must be a positive even number, not {rung.Height}");
            }

            if (rung.Height > source.Height)
            {
                throw new EncoderException($"{where}.height {rung.Height} is taller than the source ({source.Height} lines); the encoder never upscales");
            }

            if (rung.Bitrate < 16_000)
            {
                throw new EncoderException($"{where}.bitrate must be at least 16000 bits/s, not {rung.Bitrate}");
            }

            if (rung.Width is { } width && (width <= 0 || width % 2 != 0 || width > source.Width))
            {
                throw new EncoderException($"{where}.width must be a positive even number no wider than the source ({source.Width})");
            }

            var rate = source.FrameRate.AtMost60();
            if (rung.FrameRate is not null && (!FrameRate.TryParse(rung.FrameRate, out rate) || rate.Value > source.FrameRate.Value + 0.01 || rate.Value > 60.5))
            {
                throw new EncoderException($"{where}.frameRate '{rung.FrameRate}' must be a rate like 30 or 30000/1001, no higher than the source's {source.FrameRate} or 60");
            }

            result.Add(new Rung(rung.Width ?? source.WidthFor(rung.Height), rung.Height, rung.Bitrate, rate.ToString()));
        }

        return new LadderReport("file", null, [.. result.OrderBy(r => r.Bitrate)]);
    }
}
