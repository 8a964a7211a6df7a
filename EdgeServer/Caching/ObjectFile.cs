using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// Layout of a cached object on disk: a fixed 4 KiB header block (magic, length, JSON metadata with the stored
/// status and header fields), the body, then a
/// table of one XXH3 checksum per 64 KiB chunk of the body. The fixed block lets a fill stream the body before its
/// metadata is final and keeps bodies page-aligned; the table lets every chunk be checked as it is read, so a flipped
/// bit on disk is caught before its chunk reaches a client.
/// </summary>
internal static class ObjectFile
{
    public const int HeaderSize = 4096;

    /// <summary>Body bytes per checksum; also the hit path's read size.</summary>
    public const int ChunkSize = 64 * 1024;

    private const int PrefixSize = 12;
    private static ReadOnlySpan<byte> Magic => "EDGEOBJ3"u8;

    // The first format stored four header fields of 200s; its objects are served with those (see ResponseHeaderValues).
    private static ReadOnlySpan<byte> FirstMagic => "EDGEOBJ2"u8;

    public static int ChunkCount(long contentLength) => (int)((contentLength + ChunkSize - 1) / ChunkSize);

    /// <summary>Bytes an object of <paramref name="contentLength"/> takes on disk: header, body and checksum table.</summary>
    public static long SizeOnDisk(long contentLength) => HeaderSize + contentLength + (8L * ChunkCount(contentLength));

    public static ulong Checksum(ReadOnlySpan<byte> chunk) => XxHash3.HashToUInt64(chunk);

    /// <summary>
    /// Whether metadata known before a body arrives leaves room in the header block for what the fill adds at the
    /// end (length, SHA-256, a made-up ETag): a response with more header bytes than that is served, not stored.
    /// </summary>
    public static bool Fits(ObjectMetadata metadata) =>
        JsonSerializer.SerializeToUtf8Bytes(metadata, ObjectMetadataJsonContext.Default.ObjectMetadata).Length <= HeaderSize - PrefixSize - 192;

    /// <summary>Writes the header block; returns false when the metadata does not fit it.</summary>
    public static bool TryWriteHeader(SafeFileHandle handle, ObjectMetadata metadata)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, ObjectMetadataJsonContext.Default.ObjectMetadata);
        if (json.Length > HeaderSize - PrefixSize)
        {
            return false;
        }

        var block = ArrayPool<byte>.Shared.Rent(HeaderSize);
        try
        {
            var span = block.AsSpan(0, HeaderSize);
            span.Clear();
            Magic.CopyTo(span);
            BinaryPrimitives.WriteInt32LittleEndian(span[8..], json.Length);
            json.CopyTo(span[PrefixSize..]);
            RandomAccess.Write(handle, span, 0);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Reads and checks the header block; false for anything that is not a whole object.</summary>
    public static bool TryReadHeader(SafeFileHandle handle, out ObjectMetadata? metadata)
    {
        metadata = null;
        var block = ArrayPool<byte>.Shared.Rent(HeaderSize);
        try
        {
            var span = block.AsSpan(0, HeaderSize);
            if (RandomAccess.Read(handle, span, 0) != HeaderSize || !(span.StartsWith(Magic) || span.StartsWith(FirstMagic)))
            {
                return false;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
            if (length <= 0 || length > HeaderSize - PrefixSize)
            {
                return false;
            }

            metadata = JsonSerializer.Deserialize(span.Slice(PrefixSize, length), ObjectMetadataJsonContext.Default.ObjectMetadata);
            if (metadata is not null && span.StartsWith(FirstMagic) && (metadata.Status != 0 || metadata.Fields is not null || metadata.Vary is not null))
            {
                // Fields only the new format writes under the old magic: not an object this node wrote.
                return false;
            }

            return metadata is not null && metadata.ContentLength >= 0 && RandomAccess.GetLength(handle) == SizeOnDisk(metadata.ContentLength);
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    public static void WriteChecksums(SafeFileHandle handle, long contentLength, ReadOnlySpan<ulong> checksums)
    {
        var bytes = new byte[checksums.Length * 8];
        for (var i = 0; i < checksums.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), checksums[i]);
        }

        RandomAccess.Write(handle, bytes, HeaderSize + contentLength);
    }

    public static ulong[] ReadChecksums(SafeFileHandle handle, long contentLength)
    {
        var count = ChunkCount(contentLength);
        var bytes = new byte[count * 8];
        if (count > 0 && RandomAccess.Read(handle, bytes, HeaderSize + contentLength) != bytes.Length)
        {
            throw new IOException("checksum table is short");
        }

        var checksums = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            checksums[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * 8));
        }

        return checksums;
    }

    /// <summary>Checksums of a body already written after the header block (objects stored without a running hasher).</summary>
    public static ulong[] ComputeChecksums(SafeFileHandle handle, long contentLength)
    {
        var checksums = new ulong[ChunkCount(contentLength)];
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            for (var i = 0; i < checksums.Length; i++)
            {
                var want = (int)Math.Min(ChunkSize, contentLength - ((long)i * ChunkSize));
                RandomAccess.Read(handle, buffer.AsSpan(0, want), HeaderSize + ((long)i * ChunkSize));
                checksums[i] = Checksum(buffer.AsSpan(0, want));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return checksums;
    }
}

/// <summary>Checksums a body as it arrives in pieces of any size, one per <see cref="ObjectFile.ChunkSize"/> chunk.</summary>
internal sealed class ChunkHasher
{
    private readonly XxHash3 _current = new();
    private readonly List<ulong> _checksums = [];
    private int _filled;

    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var take = Math.Min(ObjectFile.ChunkSize - _filled, data.Length);
            _current.Append(data[..take]);
            _filled += take;
            data = data[take..];
            if (_filled == ObjectFile.ChunkSize)
            {
                _checksums.Add(_current.GetCurrentHashAsUInt64());
                _current.Reset();
                _filled = 0;
            }
        }
    }

    public ulong[] Finish()
    {
        if (_filled > 0)
        {
            _checksums.Add(_current.GetCurrentHashAsUInt64());
            _current.Reset();
            _filled = 0;
        }

        return [.. _checksums];
    }
}

/// <summary>A cached object's bytes do not match the checksums written when it was filled.</summary>
internal sealed class CorruptObjectException(string message) : Exception(message);
