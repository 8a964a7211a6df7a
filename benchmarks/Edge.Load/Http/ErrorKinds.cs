using System.Net.Sockets;

namespace Edge.Load.Http;

/// <summary>Names a failed request by what went wrong, for the errors table.</summary>
internal static class ErrorKinds
{
    public const string Timeout = "timeout";

    public static string Of(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connect_refused",
                    SocketError.ConnectionReset => "connection_reset",
                    SocketError.TimedOut => Timeout,
                    SocketError.HostNotFound or SocketError.NoData => "dns",
                    _ => "socket_" + socket.SocketErrorCode.ToString().ToLowerInvariant(),
                };
            }
        }

        return exception switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "response_ended",
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } => "invalid_response",
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "connection_error",
            HttpRequestException => "http_error",
            HttpIOException => "body_error",
            IOException => "io",
            _ => exception.GetType().Name,
        };
    }
}
