namespace Edge.Load.Http;

/// <summary>Reads a response body to its end through one reused buffer, keeping only the count.</summary>
internal static class ResponseBody
{
    public static async Task<long> DrainAsync(HttpResponseMessage response, byte[] buffer, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        long bytes = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            bytes += read;
        }

        return bytes;
    }
}
