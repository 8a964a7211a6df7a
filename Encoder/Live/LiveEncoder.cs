using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Edge.Encoder.Encoding;
using Edge.Encoder.Ladder;

namespace Edge.Encoder.Live;

/// <summary>What to encode live and how.</summary>
/// <param name="Source">
/// <c>testsrc</c> (a generated picture and tone), a file (played in real time), <c>srt://host:port</c> (listened on
/// unless the URL says <c>mode=</c>) or <c>rtmp://host:port/app/key</c> (listened on, for OBS or an encoder to push to).
/// </param>
public sealed record LiveRequest(
    string Source,
    IReadOnlyList<Rung> Ladder,
    LiveSettings Settings,
    string Preset = "veryfast",
    long AudioBitrate = 128_000,
    bool Loop = false,
    bool Audio = true);

/// <summary>
/// Runs one ffmpeg that decodes the source once and encodes every rung with key frames on segment starts, each
/// rung written as fragmented MP4 (a fragment per frame, so parts grow as frames are encoded) to a loopback socket
/// that a <see cref="FragmentReader"/> turns into the title's live tracks.
/// </summary>
internal sealed class LiveEncoder(Toolchain toolchain)
{
    /// <summary>How long ffmpeg is given to finish its last fragments when the event is stopped.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    public async Task RunAsync(LiveRequest request, LiveTitle title, CancellationToken cancellationToken)
    {
        request.Settings.Validate();
        if (request.Ladder.Count == 0)
        {
            throw new ArgumentException("the live ladder has no rungs");
        }

        var outputs = new List<(LiveTrack Track, TcpListener Listener, List<string> Arguments)>();
        try
        {
            if (!FrameRate.TryParse(request.Ladder[0].FrameRate, out var frameRate))
            {
                throw new ArgumentException($"the live ladder's frame rate '{request.Ladder[0].FrameRate}' is not a number or a fraction");
            }

            var gop = (int)Math.Round(request.Settings.KeyFrameSeconds * frameRate.Value);
            var keyFrames = string.Create(CultureInfo.InvariantCulture, $"expr:gte(t,n_forced*{request.Settings.KeyFrameSeconds})");
            var split = string.Join("", request.Ladder.Select((_, i) => $"[s{i}]"));
            var scales = string.Join(";", request.Ladder.Select((r, i) => $"[s{i}]scale={r.Width}:{r.Height},setsar=1[v{i}]"));
            var graph = $"[0:v]fps={frameRate},split={request.Ladder.Count}{split};{scales}";
            for (var i = 0; i < request.Ladder.Count; i++)
            {
                var rung = request.Ladder[i];
                var track = title.AddTrack($"{rung.Height}p", rung.MaxRate, frameRate.Value);
                outputs.Add((track, Listen(), [
                    .. i == 0 ? (string[])["-filter_complex", graph] : [],
                    "-map", $"[v{i}]",
                    .. VideoCodec.H264.RateArguments(rung, gop, request.Preset),
                    "-tune", "zerolatency", "-force_key_frames", keyFrames,
                    "-f", "mp4", "-movflags", "empty_moov+default_base_moof+frag_every_frame",
                ]));
            }

            if (request.Audio)
            {
                var track = title.AddTrack("audio", request.AudioBitrate);
                outputs.Add((track, Listen(), [
                    "-map", request.Source == "testsrc" ? "1:a:0" : "0:a:0",
                    "-c:a", "aac", "-b:a", request.AudioBitrate.ToString(CultureInfo.InvariantCulture), "-ac", "2", "-ar", "48000",
                    "-f", "mp4", "-movflags", "empty_moov+default_base_moof", "-frag_duration", "60000",
                ]));
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var readers = outputs.Select(o => ReadAsync(o.Listener, o.Track, stop.Token)).ToList();
            var ffmpeg = new FfmpegRunner(toolchain).RunAsync(
                Inputs(request, frameRate),
                [.. outputs.Select(o => new FfmpegOutput($"tcp://127.0.0.1:{((IPEndPoint)o.Listener.LocalEndpoint).Port}", o.Arguments))],
                progress: null,
                cancellationToken,
                StopGrace);
            try
            {
                await ffmpeg;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopped by the operator: what ffmpeg finished writing is the end of the event.
            }
            finally
            {
                // ffmpeg has closed its sockets (or died): readers end at the last whole fragment; one that never
                // connected is stopped.
                stop.CancelAfter(TimeSpan.FromSeconds(1));
                await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
            }
        }
        finally
        {
            foreach (var output in outputs)
            {
                output.Listener.Stop();
                output.Track.End();
            }
        }
    }

    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(1);
        return listener;
    }

    private static async Task ReadAsync(TcpListener listener, LiveTrack track, CancellationToken cancellationToken)
    {
        try
        {
            using var client = await listener.AcceptTcpClientAsync(cancellationToken);
            listener.Stop();
            await using var stream = client.GetStream();
            await FragmentReader.ReadAsync(stream, track, cancellationToken);
        }
        finally
        {
            track.End();
        }
    }

    private static IReadOnlyList<(string Path, IReadOnlyList<string> Arguments)> Inputs(LiveRequest request, FrameRate frameRate)
    {
        var source = request.Source;
        if (source == "testsrc")
        {
            var size = $"{request.Ladder.Max(r => r.Width)}x{request.Ladder.Max(r => r.Height)}";
            return [($"testsrc2=size={size}:rate={frameRate}", ["-re", "-f", "lavfi"]), ("sine=frequency=1000:sample_rate=48000", ["-re", "-f", "lavfi"])];
        }

        if (source.StartsWith("srt://", StringComparison.OrdinalIgnoreCase))
        {
            var url = source.Contains("mode=", StringComparison.Ordinal) ? source : source + (source.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "mode=listener";
            return [(url, [])];
        }

        if (source.StartsWith("rtmp://", StringComparison.OrdinalIgnoreCase))
        {
            return [(source, ["-listen", "1"])];
        }

        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"live source '{source}' is not testsrc, an srt:// or rtmp:// URL, or a file that exists");
        }

        return [(Path.GetFullPath(source), request.Loop ? ["-re", "-stream_loop", "-1"] : ["-re"])];
    }
}
