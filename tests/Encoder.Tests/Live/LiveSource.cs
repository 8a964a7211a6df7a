using System.Buffers.Binary;
using Edge.Encoder.Live;
using Edge.Encoder.Packaging;
using Edge.Testing;

namespace Edge.Encoder.Tests.Live;

/// <summary>A fragmented MP4 as the live encoder's ffmpeg writes it, made ahead of time so a test can feed it in steps.</summary>
internal sealed record LiveSource(byte[] Init, IReadOnlyList<(Segmenter.Fragment Fragment, byte[] Moof, byte[] Mdat)> Fragments)
{
    /// <summary>A 30 fps video track: a fragment per frame, key frames every <paramref name="segmentSeconds"/>.</summary>
    public static async Task<LiveSource> VideoAsync(string directory, double seconds, double segmentSeconds = 2)
    {
        var path = Path.Combine(directory, $"video-{seconds}.mp4");
        var gop = ((int)(segmentSeconds * 30)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1),
            "-loglevel", "error", "-f", "lavfi", "-i", $"testsrc2=size=160x90:rate=30:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
            "-force_key_frames", $"expr:gte(t,n_forced*{segmentSeconds})",
            "-f", "mp4", "-movflags", "empty_moov+default_base_moof+frag_every_frame", path);
        Assert.True(code == 0, output);
        return Read(path);
    }

    /// <summary>An AAC track in fragments of about 64 ms, as the live encoder writes audio.</summary>
    public static async Task<LiveSource> AudioAsync(string directory, double seconds)
    {
        var path = Path.Combine(directory, $"audio-{seconds}.mp4");
        var (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1),
            "-loglevel", "error", "-f", "lavfi", "-i", $"sine=frequency=1000:sample_rate=48000:duration={seconds}",
            "-c:a", "aac", "-b:a", "64k", "-f", "mp4", "-movflags", "empty_moov+default_base_moof", "-frag_duration", "60000", path);
        Assert.True(code == 0, output);
        return Read(path);
    }

    public void Start(LiveTrack track)
    {
        var (info, trex) = Segmenter.ReadTrack(Moov());
        track.SetInit(Init, info, trex);
    }

    public void Feed(LiveTrack track, int from, int count)
    {
        foreach (var (fragment, moof, mdat) in Fragments.Skip(from).Take(count))
        {
            track.AddFragment(fragment, moof, mdat);
        }
    }

    private byte[] Moov()
    {
        var offset = BinaryPrimitives.ReadInt32BigEndian(Init);
        return Init[offset..];
    }

    private static LiveSource Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var offset = 0;
        var init = new List<byte>();
        var fragments = new List<(Segmenter.Fragment, byte[], byte[])>();
        byte[]? moof = null;
        uint trex = 0;
        while (offset < bytes.Length)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(bytes, offset + 4, 4);
            var box = bytes[offset..(offset + size)];
            switch (type)
            {
                case "ftyp":
                    init.AddRange(box);
                    break;
                case "moov":
                    init.AddRange(box);
                    trex = Segmenter.ReadTrack(box).TrexFlags;
                    break;
                case "moof":
                    moof = box;
                    break;
                case "mdat":
                    fragments.Add((Segmenter.ReadFragment(moof!, trex), moof!, box));
                    break;
            }

            offset += size;
        }

        return new LiveSource([.. init], fragments);
    }
}
