using System.Buffers.Binary;

namespace Edge.Encoder.Packaging;

/// <summary>An ISO BMFF box found in a buffer: its type and where its payload lies.</summary>
internal readonly record struct Mp4Box(string Type, int Offset, int HeaderSize, int Size)
{
    public int PayloadOffset => Offset + HeaderSize;

    public int PayloadSize => Size - HeaderSize;

    /// <summary>The boxes directly inside <paramref name="buffer"/>[<paramref name="start"/>..<paramref name="end"/>).</summary>
    public static List<Mp4Box> Children(ReadOnlySpan<byte> buffer, int start, int end)
    {
        var boxes = new List<Mp4Box>();
        var offset = start;
        while (offset + 8 <= end)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(buffer[offset..]);
            var type = System.Text.Encoding.ASCII.GetString(buffer.Slice(offset + 4, 4));
            var header = 8;
            if (size == 1)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(buffer[(offset + 8)..]);
                header = 16;
            }
            else if (size == 0)
            {
                size = end - offset;
            }

            if (size < header || offset + size > end)
            {
                throw new InvalidDataException($"box '{type}' at {offset} has a bad size {size}");
            }

            boxes.Add(new Mp4Box(type, offset, header, (int)size));
            offset += (int)size;
        }

        return boxes;
    }

    public static List<Mp4Box> Children(ReadOnlySpan<byte> buffer, Mp4Box parent, int skip = 0) =>
        Children(buffer, parent.PayloadOffset + skip, parent.Offset + parent.Size);

    /// <summary>Follows a path of box types from the top of <paramref name="buffer"/>, or null when any step is missing.</summary>
    public static Mp4Box? Find(ReadOnlySpan<byte> buffer, params string[] path)
    {
        Mp4Box? current = null;
        foreach (var type in path)
        {
            var children = current is { } parent ? Children(buffer, parent, SkipFor(parent.Type)) : Children(buffer, 0, buffer.Length);
            var found = children.Find(b => b.Type == type);
            if (found.Type is null)
            {
                return null;
            }

            current = found;
        }

        return current;
    }

    // Sample entries and stsd carry fixed fields before their child boxes.
    public static int SkipFor(string type) => type switch
    {
        "stsd" => 8,
        "avc1" or "avc3" or "hvc1" or "hev1" or "av01" or "encv" => 78,
        "mp4a" or "enca" => 28,
        _ => 0,
    };
}
