using System.Text.Json;
using Edge.Contracts.AccessLogging;

namespace Edge.EdgeServer.Cmcd;

/// <summary>A request's CMCD in its access log line, as <c>edge.cmcd</c> with the spec's key names.</summary>
internal static class CmcdLogFields
{
    public static readonly AccessRecord.ExtraWriter Writer = static (json, state) => Write(json, (CmcdData)state);

    private static void Write(Utf8JsonWriter json, CmcdData data)
    {
        json.WriteStartObject("cmcd"u8);
        Number(json, "br"u8, data.Bitrate);
        Number(json, "bl"u8, data.BufferLength);
        if (data.BufferStarvation)
        {
            json.WriteBoolean("bs"u8, true);
        }

        Text(json, "cid"u8, data.ContentId);
        Number(json, "d"u8, data.Duration);
        Number(json, "dl"u8, data.Deadline);
        Number(json, "mtp"u8, data.MeasuredThroughput);
        Text(json, "nor"u8, data.NextObject);
        Text(json, "ot"u8, data.ObjectType);
        if (data.PlaybackRate is { } rate)
        {
            json.WriteNumber("pr"u8, rate);
        }

        Number(json, "rtp"u8, data.RequestedThroughput);
        Text(json, "sf"u8, data.StreamingFormat);
        Text(json, "sid"u8, data.SessionId);
        Text(json, "st"u8, data.StreamType);
        if (data.Startup)
        {
            json.WriteBoolean("su"u8, true);
        }

        Number(json, "tb"u8, data.TopBitrate);
        Number(json, "v"u8, data.Version);
        json.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter json, ReadOnlySpan<byte> name, int? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
    }

    private static void Text(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
