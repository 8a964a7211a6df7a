using Microsoft.AspNetCore.Http;

namespace Edge.Contracts;

/// <summary>Short plain-text answers (errors, refusals) with their length known, and no body for HEAD.</summary>
public static class PlainText
{
    public static Task WriteAsync(HttpContext context, int status, string text)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(text);
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.WriteAsync(text, context.RequestAborted);
    }
}
