namespace Edge.Encoder.Encoding;

/// <summary>A problem the user can fix (bad input, missing tool, taken title id), with a message that says how.</summary>
public sealed class EncoderException : Exception
{
    public EncoderException()
    {
    }

    public EncoderException(string message)
        : base(message)
    {
    }

    public EncoderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
