using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Edge.Encoder.Packaging;

/// <summary>RFC 6381 codec strings read from a track's sample entry, exactly as the decoder will see them.</summary>
internal static class CodecString
{
    public static string Read(ReadOnlySpan<byte> moov, Mp4Box sampleEntry)
    {
        var children = Mp4Box.Children(moov, sampleEntry, Mp4Box.SkipFor(sampleEntry.Type));
        var type = sampleEntry.Type;
        switch (type)
        {
            case "avc1" or "avc3":
                {
                    var avcC = Config(moov, children, "avcC", type);
                    return string.Create(CultureInfo.InvariantCulture, $"{type}.{avcC[1]:x2}{avcC[2]:x2}{avcC[3]:x2}");
                }

            case "hvc1" or "hev1":
                return Hevc(type, Config(moov, children, "hvcC", type));
            case "av01":
                return Av1(Config(moov, children, "av1C", type));
            case "mp4a":
                return Aac(Config(moov, children, "esds", type)[4..]);
            default:
                throw new InvalidDataException($"no codec string for sample entry '{type}'");
        }
    }

    private static ReadOnlySpan<byte> Config(ReadOnlySpan<byte> moov, List<Mp4Box> children, string box, string entry)
    {
        var config = children.Find(b => b.Type == box);
        return config.Type is null
            ? throw new InvalidDataException($"'{entry}' sample entry has no '{box}' box")
            : moov.Slice(config.PayloadOffset, config.PayloadSize);
    }

    // ISO/IEC 14496-15 annex E: hvc1.<space><profile>.<compat, bit-reversed>.<tier><level>.<constraints>.
    private static string Hevc(string type, ReadOnlySpan<byte> c)
    {
        var space = (c[1] >> 6) switch { 1 => "A", 2 => "B", 3 => "C", _ => "" };
        var tier = (c[1] & 0x20) != 0 ? 'H' : 'L';
        var profile = c[1] & 0x1F;
        var compat = BinaryPrimitives.ReadUInt32BigEndian(c[2..]);
        uint reversed = 0;
        for (var i = 0; i < 32; i++)
        {
            reversed |= ((compat >> i) & 1) << (31 - i);
        }

        var builder = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{type}.{space}{profile}.{reversed:X}.{tier}{c[12]}");
        var constraints = c.Slice(6, 6);
        var last = constraints.LastIndexOfAnyExcept((byte)0);
        for (var i = 0; i <= last; i++)
        {
            builder.Append(CultureInfo.InvariantCulture, $".{constraints[i]:X2}");
        }

        return builder.ToString();
    }

    // AV1 codec ISO media file format binding, section 5: av01.<profile>.<level><tier>.<bit depth>.
    private static string Av1(ReadOnlySpan<byte> c)
    {
        var profile = c[1] >> 5;
        var level = c[1] & 0x1F;
        var tier = (c[2] & 0x80) != 0 ? 'H' : 'M';
        var highBitDepth = (c[2] & 0x40) != 0;
        var twelveBit = (c[2] & 0x20) != 0;
        var depth = twelveBit ? 12 : highBitDepth ? 10 : 8;
        return string.Create(CultureInfo.InvariantCulture, $"av01.{profile}.{level:D2}{tier}.{depth:D2}");
    }

    // esds: ES_Descriptor(3) > DecoderConfigDescriptor(4) > DecoderSpecificInfo(5); mp4a.<oti>.<audio object type>.
    private static string Aac(ReadOnlySpan<byte> esds)
    {
        var es = Descriptor(esds, 0, 3, out _);
        var flags = esds[es + 2];
        var offset = es + 3 + ((flags & 0x80) != 0 ? 2 : 0) + ((flags & 0x20) != 0 ? 1 + esds[es + 3] : 0) + ((flags & 0x40) != 0 ? 2 : 0);
        var config = Descriptor(esds, offset, 4, out _);
        var objectType = esds[config];
        var specific = Descriptor(esds, config + 13, 5, out var length);
        var audioObjectType = length > 0 ? esds[specific] >> 3 : 0;
        if (audioObjectType == 31 && length > 1)
        {
            audioObjectType = 32 + (((esds[specific] & 0x7) << 3) | (esds[specific + 1] >> 5));
        }

        return string.Create(CultureInfo.InvariantCulture, $"mp4a.{objectType:x2}.{audioObjectType}");
    }

    private static int Descriptor(ReadOnlySpan<byte> data, int offset, byte tag, out int length)
    {
        if (offset >= data.Length || data[offset] != tag)
        {
            throw new InvalidDataException($"esds: expected descriptor tag {tag} at {offset}");
        }

        offset++;
        length = 0;
        for (var i = 0; i < 4; i++)
        {
            var b = data[offset++];
            length = (length << 7) | (b & 0x7F);
            if ((b & 0x80) == 0)
            {
                break;
            }
        }

        return offset;
    }
}
