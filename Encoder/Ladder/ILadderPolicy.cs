using Edge.Encoder.Encoding;

namespace Edge.Encoder.Ladder;

/// <summary>Chooses the video renditions of a title.</summary>
public interface ILadderPolicy
{
    Task<LadderReport> BuildAsync(SourceInfo source, VideoCodec codec, CancellationToken cancellationToken);
}
