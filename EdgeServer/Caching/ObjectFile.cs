using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// Layout of a cached object on disk: a fixed 4 KiB header block (magic, length, JSON metadata)
/// followed by the body. The fixed block lets a fill stream the body before its metadata is final
/// and keeps bodies page-aligned.
/// </summary>
internal static class ObjectFile
{
    public const int HeaderSize = 4096;
    private const int PrefixSize = 12;
    private static ReadOnlySpan<byte> Magic => "EDGEOBJ1"u8;

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
            if (RandomAccess.Read(handle, span, 0) != HeaderSize || !span.StartsWith(Magic))
            {
                return false;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
            if (length <= 0 || length > HeaderSize - PrefixSize)
            {
                return false;
            }

            metadata = JsonSerializer.Deserialize(span.Slice(PrefixSize, length), ObjectMetadataJsonContext.Default.ObjectMetadata);
            return metadata is not null && RandomAccess.GetLength(handle) == HeaderSize + metadata.ContentLength;
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
}
