using System.Buffers.Binary;

namespace Edge.Encoder.Packaging;

/// <summary>What a track's init segment says about it.</summary>
public sealed record TrackInfo(string Kind, string Codecs, uint Timescale, int Width, int Height, int Channels, int SampleRate);

/// <summary>One CMAF media segment as written: its file, timing (in track timescale ticks) and size.</summary>
/// <param name="KeyFrameLength">Bytes from the segment's start to the end of its first sample: an I-frame playlist's byte range.</param>
/// <param name="Fragments">Each of the segment's fragments: where it starts and its first sample (a key frame, for video).</param>
public sealed record SegmentInfo(string File, ulong Start, ulong Duration, long Size, long KeyFrameLength, bool StartsWithSyncSample, IReadOnlyList<FragmentInfo> Fragments);

/// <summary>A fragment within a segment: its timing, and the bytes from its moof to the end of its first sample.</summary>
public sealed record FragmentInfo(ulong Start, ulong Duration, long Offset, long FirstSampleLength);

/// <summary>A track split into an init segment and media segments.</summary>
public sealed record SegmentedTrack(TrackInfo Track, string InitFile, IReadOnlyList<SegmentInfo> Segments)
{
    public double DurationSeconds => Segments.Sum(s => (double)s.Duration) / Track.Timescale;
}

/// <summary>
/// Splits a fragmented MP4 (one track, one fragment per segment) into a CMAF init segment and media segments at
/// box boundaries, byte for byte, reading timing from each fragment's tfdt and trun. Streams the media data, so a
/// two-hour rendition never sits in memory.
/// </summary>
public static class Segmenter
{
    private const uint NonSyncSample = 0x0001_0000;

    /// <summary>
    /// Splits <paramref name="source"/> into <paramref name="directory"/>: one segment per fragment, or with
    /// <paramref name="segmentSeconds"/> the fragments (one per key frame) grouped into segments of that length, cut
    /// at the first fragment that starts at or after each multiple of it. A last fragment shorter than
    /// <paramref name="shortTailSeconds"/> is appended to the segment before it (a CMAF segment may hold several
    /// fragments): audio cut by duration ends with a sliver of a frame or two. Video passes 0: its segments end at
    /// key frames every rendition shares, and a short last one must stay where the others' is.
    /// </summary>
    public static async Task<SegmentedTrack> SplitAsync(string source, string directory, double shortTailSeconds, CancellationToken cancellationToken, double segmentSeconds = 0)
    {
        Directory.CreateDirectory(directory);
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var header = new byte[16];
        using var init = new MemoryStream();
        byte[]? moov = null;
        TrackInfo? track = null;
        uint trexFlags = 0;
        var segments = new List<SegmentInfo>();
        FileStream? segment = null;
        Fragment? fragment = null;
        var fragments = new List<FragmentInfo>();
        ulong? firstStart = null;
        ulong segmentTicks = 0;
        long fragmentOffset = 0;
        var fragmentStartsWithSync = false;

        async Task CloseSegmentAsync()
        {
            var first = fragments[0];
            var last = fragments[^1];
            segments.Add(new SegmentInfo(Path.GetFileName(segment!.Name), first.Start, last.Start + last.Duration - first.Start, segment.Length, first.FirstSampleLength, fragmentStartsWithSync, [.. fragments]));
            await segment.DisposeAsync();
            segment = null;
            fragments.Clear();
        }

        try
        {
            while (input.Position < input.Length)
            {
                var start = input.Position;
                await input.ReadExactlyAsync(header.AsMemory(0, 8), cancellationToken);
                long size = BinaryPrimitives.ReadUInt32BigEndian(header);
                var type = System.Text.Encoding.ASCII.GetString(header, 4, 4);
                var headerSize = 8;
                if (size == 1)
                {
                    await input.ReadExactlyAsync(header.AsMemory(8, 8), cancellationToken);
                    size = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                    headerSize = 16;
                }
                else if (size == 0)
                {
                    size = input.Length - start;
                }

                if (size < headerSize || start + size > input.Length)
                {
                    throw new InvalidDataException($"{source}: box '{type}' at {start} runs past the end of the file");
                }

                switch (type)
                {
                    case "ftyp" or "moov":
                        {
                            var box = await ReadBoxAsync(input, header, headerSize, size, cancellationToken);
                            init.Write(type == "ftyp" ? WithIso6(box) : box);
                            if (type == "moov")
                            {
                                moov = box;
                                (track, trexFlags) = ReadTrack(box);
                            }

                            break;
                        }

                    case "moof":
                        {
                            if (track is null)
                            {
                                throw new InvalidDataException($"{source}: a fragment comes before the moov box");
                            }

                            var box = await ReadBoxAsync(input, header, headerSize, size, cancellationToken);
                            fragment = ReadFragment(box, trexFlags);
                            firstStart ??= fragment.Start;
                            segmentTicks = (ulong)Math.Round(segmentSeconds * track.Timescale);

                            // A fragment starting within a tenth of a segment of the next boundary opens the next segment:
                            // key frames sit on the slowest rung's frame grid, a little after the exact multiple.
                            var boundary = firstStart.Value + ((ulong)segments.Count + 1) * segmentTicks;
                            if (segment is not null && (segmentTicks == 0 || fragment.Start + (segmentTicks / 10) >= boundary))
                            {
                                await CloseSegmentAsync();
                            }

                            if (segment is null)
                            {
                                var name = $"seg_{segments.Count + 1:D5}.m4s";
                                segment = new FileStream(Path.Combine(directory, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                                fragmentStartsWithSync = fragment.StartsWithSync;
                            }

                            fragmentOffset = segment.Length;
                            await segment.WriteAsync(box, cancellationToken);
                            break;
                        }

                    case "mdat" when segment is not null && fragment is not null:
                        {
                            await segment.WriteAsync(header.AsMemory(0, headerSize), cancellationToken);
                            await CopyAsync(input, segment, size - headerSize, cancellationToken);
                            fragments.Add(new FragmentInfo(fragment.Start, fragment.Duration, fragmentOffset, fragment.FirstSampleEnd));
                            if (segmentTicks == 0)
                            {
                                await CloseSegmentAsync();
                            }

                            fragment = null;
                            break;
                        }

                    default:
                        // mfra, free, sidx and the like: not part of a CMAF track.
                        input.Position = start + size;
                        break;
                }
            }

            if (segment is not null && fragments.Count > 0)
            {
                await CloseSegmentAsync();
            }
        }
        finally
        {
            if (segment is not null)
            {
                await segment.DisposeAsync();
            }
        }

        if (moov is null || track is null)
        {
            throw new InvalidDataException($"{source} has no moov box");
        }

        if (segments.Count == 0)
        {
            throw new InvalidDataException($"{source} has no media fragments");
        }

        await File.WriteAllBytesAsync(Path.Combine(directory, "init.mp4"), init.ToArray(), cancellationToken);
        if (segments.Count >= 2 && segments[^1].Duration < shortTailSeconds * track.Timescale)
        {
            var (previous, tail) = (segments[^2], segments[^1]);
            var tailPath = Path.Combine(directory, tail.File);
            await using (var output = new FileStream(Path.Combine(directory, previous.File), FileMode.Append, FileAccess.Write))
            await using (var tailStream = File.OpenRead(tailPath))
            {
                await tailStream.CopyToAsync(output, cancellationToken);
            }

            File.Delete(tailPath);
            segments[^2] = previous with
            {
                Duration = previous.Duration + tail.Duration,
                Size = previous.Size + tail.Size,
                Fragments = [.. previous.Fragments, .. tail.Fragments.Select(f => f with { Offset = f.Offset + previous.Size })],
            };
            segments.RemoveAt(segments.Count - 1);
        }

        return new SegmentedTrack(track, "init.mp4", segments);
    }

    /// <summary>
    /// The ftyp box with <c>iso6</c> among its compatible brands: CMAF (ISO/IEC 23000-19 7.2) wants it next to
    /// <c>cmfc</c>, and ffmpeg writes only <c>cmfc</c> and <c>mp41</c>. Its major brand is kept.
    /// </summary>
    internal static byte[] WithIso6(byte[] ftyp)
    {
        // size(4) type(4) major(4) minor(4) compatible(4 each)
        if (ftyp.Length < 16)
        {
            return ftyp;
        }

        var brands = new List<string>();
        for (var at = 16; at + 4 <= ftyp.Length; at += 4)
        {
            var brand = System.Text.Encoding.ASCII.GetString(ftyp, at, 4);
            if (!brands.Contains(brand))
            {
                brands.Add(brand);
            }
        }

        if (brands.Contains("iso6"))
        {
            return ftyp;
        }

        brands.Insert(0, "iso6");
        var box = new byte[16 + (brands.Count * 4)];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        ftyp.AsSpan(4, 12).CopyTo(box.AsSpan(4));
        for (var i = 0; i < brands.Count; i++)
        {
            System.Text.Encoding.ASCII.GetBytes(brands[i], box.AsSpan(16 + (i * 4)));
        }

        return box;
    }

    private static async Task<byte[]> ReadBoxAsync(Stream input, byte[] header, int headerSize, long size, CancellationToken cancellationToken)
    {
        if (size > 64 << 20)
        {
            throw new InvalidDataException($"metadata box of {size} bytes is too large");
        }

        var box = new byte[size];
        header.AsSpan(0, headerSize).CopyTo(box);
        await input.ReadExactlyAsync(box.AsMemory(headerSize), cancellationToken);
        return box;
    }

    private static async Task CopyAsync(Stream input, Stream output, long count, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            while (count > 0)
            {
                var read = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken);
                if (read == 0)
                {
                    throw new EndOfStreamException("media data ends early");
                }

                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                count -= read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static (TrackInfo Track, uint TrexFlags) ReadTrack(byte[] moov)
    {
        var span = moov.AsSpan();
        var traks = Mp4Box.Children(span, Mp4Box.Children(span, 0, span.Length)[0]).FindAll(b => b.Type == "trak");
        if (traks.Count != 1)
        {
            throw new InvalidDataException($"expected one track per rendition, found {traks.Count}");
        }

        var mdia = Child(span, traks[0], "mdia");
        var mdhd = Child(span, mdia, "mdhd");
        var timescale = BinaryPrimitives.ReadUInt32BigEndian(span[(mdhd.PayloadOffset + (span[mdhd.PayloadOffset] == 1 ? 20 : 12))..]);
        var handler = System.Text.Encoding.ASCII.GetString(span.Slice(Child(span, mdia, "hdlr").PayloadOffset + 8, 4));
        var stsd = Child(span, Child(span, Child(span, mdia, "minf"), "stbl"), "stsd");
        var entry = Mp4Box.Children(span, stsd, Mp4Box.SkipFor("stsd"))[0];
        var codecs = CodecString.Read(span, entry);
        var payload = entry.PayloadOffset;
        var info = handler switch
        {
            "vide" => new TrackInfo("video", codecs, timescale, BinaryPrimitives.ReadUInt16BigEndian(span[(payload + 24)..]), BinaryPrimitives.ReadUInt16BigEndian(span[(payload + 26)..]), 0, 0),
            "soun" => new TrackInfo("audio", codecs, timescale, 0, 0, BinaryPrimitives.ReadUInt16BigEndian(span[(payload + 16)..]), BinaryPrimitives.ReadUInt16BigEndian(span[(payload + 24)..])),
            _ => throw new InvalidDataException($"unsupported track handler '{handler}'"),
        };

        uint trexFlags = 0;
        var mvex = Mp4Box.Children(span, Mp4Box.Children(span, 0, span.Length)[0]).Find(b => b.Type == "mvex");
        if (mvex.Type is not null)
        {
            var trex = Mp4Box.Children(span, mvex).Find(b => b.Type == "trex");
            if (trex.Type is not null)
            {
                trexFlags = BinaryPrimitives.ReadUInt32BigEndian(span[(trex.PayloadOffset + 20)..]);
            }
        }

        return (info, trexFlags);
    }

    private static Mp4Box Child(ReadOnlySpan<byte> buffer, Mp4Box parent, string type)
    {
        var child = Mp4Box.Children(buffer, parent).Find(b => b.Type == type);
        return child.Type is null ? throw new InvalidDataException($"'{parent.Type}' has no '{type}' box") : child;
    }

    internal sealed record Fragment(ulong Start, ulong Duration, long FirstSampleEnd, bool StartsWithSync);

    // ISO/IEC 14496-12 8.8.7 (tfhd), 8.8.12 (tfdt), 8.8.8 (trun).
    internal static Fragment ReadFragment(byte[] moof, uint trexFlags)
    {
        var span = moof.AsSpan();
        var root = Mp4Box.Children(span, 0, span.Length)[0];
        var traf = Child(span, root, "traf");
        var tfhd = Child(span, traf, "tfhd");
        var p = tfhd.PayloadOffset;
        var tfhdFlags = BinaryPrimitives.ReadUInt32BigEndian(span[p..]) & 0xFFFFFF;
        p += 8;
        if ((tfhdFlags & 0x01) != 0)
        {
            throw new InvalidDataException("fragments with an explicit base data offset are not CMAF");
        }

        p += (tfhdFlags & 0x02) != 0 ? 4 : 0;
        uint defaultDuration = 0;
        uint defaultSize = 0;
        var defaultFlags = trexFlags;
        if ((tfhdFlags & 0x08) != 0)
        {
            defaultDuration = BinaryPrimitives.ReadUInt32BigEndian(span[p..]);
            p += 4;
        }

        if ((tfhdFlags & 0x10) != 0)
        {
            defaultSize = BinaryPrimitives.ReadUInt32BigEndian(span[p..]);
            p += 4;
        }

        if ((tfhdFlags & 0x20) != 0)
        {
            defaultFlags = BinaryPrimitives.ReadUInt32BigEndian(span[p..]);
        }

        var tfdt = Child(span, traf, "tfdt");
        var start = span[tfdt.PayloadOffset] == 1
            ? BinaryPrimitives.ReadUInt64BigEndian(span[(tfdt.PayloadOffset + 4)..])
            : BinaryPrimitives.ReadUInt32BigEndian(span[(tfdt.PayloadOffset + 4)..]);

        ulong duration = 0;
        long firstSampleEnd = -1;
        var startsWithSync = false;
        foreach (var trun in Mp4Box.Children(span, traf).FindAll(b => b.Type == "trun"))
        {
            var q = trun.PayloadOffset;
            var flags = BinaryPrimitives.ReadUInt32BigEndian(span[q..]) & 0xFFFFFF;
            var count = BinaryPrimitives.ReadUInt32BigEndian(span[(q + 4)..]);
            q += 8;
            var dataOffset = 0;
            if ((flags & 0x01) != 0)
            {
                dataOffset = BinaryPrimitives.ReadInt32BigEndian(span[q..]);
                q += 4;
            }

            uint? firstFlags = null;
            if ((flags & 0x04) != 0)
            {
                firstFlags = BinaryPrimitives.ReadUInt32BigEndian(span[q..]);
                q += 4;
            }

            for (var i = 0; i < count; i++)
            {
                var sampleDuration = defaultDuration;
                var sampleSize = defaultSize;
                var sampleFlags = defaultFlags;
                if ((flags & 0x100) != 0)
                {
                    sampleDuration = BinaryPrimitives.ReadUInt32BigEndian(span[q..]);
                    q += 4;
                }

                if ((flags & 0x200) != 0)
                {
                    sampleSize = BinaryPrimitives.ReadUInt32BigEndian(span[q..]);
                    q += 4;
                }

                if ((flags & 0x400) != 0)
                {
                    sampleFlags = BinaryPrimitives.ReadUInt32BigEndian(span[q..]);
                    q += 4;
                }

                q += (flags & 0x800) != 0 ? 4 : 0;
                if (i == 0 && firstSampleEnd < 0)
                {
                    firstSampleEnd = dataOffset + sampleSize;
                    startsWithSync = ((firstFlags ?? sampleFlags) & NonSyncSample) == 0;
                }

                duration += sampleDuration;
            }
        }

        return firstSampleEnd < 0
            ? throw new InvalidDataException("fragment has no samples")
            : new Fragment(start, duration, firstSampleEnd, startsWithSync);
    }
}
