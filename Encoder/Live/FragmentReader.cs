using System.Buffers.Binary;
using Edge.Encoder.Packaging;

namespace Edge.Encoder.Live;

/// <summary>
/// Reads a fragmented MP4 stream as the encoder writes it (an init segment, then <c>moof</c>+<c>mdat</c> pairs) into
/// a live track, a whole fragment at a time, so a reader never sees half a fragment.
/// </summary>
internal static class FragmentReader
{
    /// <summary>Largest box taken from the encoder: far above a 4K key frame, small enough to never exhaust memory.</summary>
    public const long MaxBoxBytes = 64L << 20;

    public static async Task ReadAsync(Stream input, LiveTrack track, CancellationToken cancellationToken)
    {
        var header = new byte[16];
        var init = new List<byte[]>();
        byte[]? moof = null;
        Segmenter.Fragment? fragment = null;
        while (await ReadHeaderAsync(input, header, cancellationToken) is { } box)
        {
            var (type, headerSize, size) = box;
            if (size < headerSize || size > MaxBoxBytes)
            {
                throw new InvalidDataException($"{track.Id}: box '{type}' has a bad size {size}");
            }

            var bytes = new byte[size];
            header.AsSpan(0, headerSize).CopyTo(bytes);
            await input.ReadExactlyAsync(bytes.AsMemory(headerSize), cancellationToken);
            switch (type)
            {
                case "ftyp":
                    init.Add(bytes);
                    break;
                case "moov":
                    {
                        init.Add(bytes);
                        var (info, trexFlags) = Segmenter.ReadTrack(bytes);
                        track.SetInit([.. init.SelectMany(b => b)], info, trexFlags);
                        break;
                    }

                case "moof":
                    moof = bytes;
                    fragment = Segmenter.ReadFragment(bytes, track.TrexFlags);
                    break;
                case "mdat" when moof is not null && fragment is not null:
                    track.AddFragment(fragment, moof, bytes);
                    moof = null;
                    fragment = null;
                    break;
                default:
                    // styp, sidx, free, mfra: not part of what a CMAF player needs.
                    break;
            }
        }
    }

    private static async Task<(string Type, int HeaderSize, long Size)?> ReadHeaderAsync(Stream input, byte[] header, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < 8)
        {
            var n = await input.ReadAsync(header.AsMemory(read, 8 - read), cancellationToken);
            if (n == 0)
            {
                return read == 0 ? null : throw new EndOfStreamException("the stream ended inside a box header");
            }

            read += n;
        }

        long size = BinaryPrimitives.ReadUInt32BigEndian(header);
        var type = System.Text.Encoding.ASCII.GetString(header, 4, 4);
        if (size == 1)
        {
            await input.ReadExactlyAsync(header.AsMemory(8, 8), cancellationToken);
            size = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
            return (type, 16, size);
        }

        // A size of 0 (to the end of the file) has no meaning on a live stream.
        return (type, 8, size == 0 ? -1 : size);
    }
}
