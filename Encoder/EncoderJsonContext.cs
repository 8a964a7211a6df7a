using System.Text.Json;
using System.Text.Json.Serialization;
using Edge.Encoder.Encoding;
using Edge.Encoder.Ladder;
using Edge.Encoder.Publishing;

namespace Edge.Encoder;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TitleDocument))]
[JsonSerializable(typeof(LadderReport))]
[JsonSerializable(typeof(LadderFile))]
[JsonSerializable(typeof(EncodePlan))]
[JsonSerializable(typeof(ProgressEvent))]
[JsonSerializable(typeof(LadderComparisonReport))]
internal sealed partial class EncoderJsonContext : JsonSerializerContext
{
    /// <summary>One object per line, for progress events.</summary>
    public static EncoderJsonContext Compact { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull });
}
