using System.Globalization;

namespace CmpKit.Transport;

/// <summary>
/// Checks C1, C2 and C4 on an HTTP response, for both HTTP transports (<see cref="HttpCmpTransport"/> on
/// HttpClient, <see cref="DirectHttpCmpTransport"/> on its own socket): each check and its message in one place.
/// </summary>
internal static class HttpResponseChecks
{
    /// <summary>C1: only 200 carries a CMP response (RFC 9811, section 3.4); redirects are not followed.</summary>
    public static void Status(int status, string? reason, string endpoint)
    {
        if (status != 200)
        {
            throw new CmpException(CmpFailureReason.HttpError,
                $"{endpoint} answered HTTP {status.ToString(CultureInfo.InvariantCulture)} {reason}".TrimEnd());
        }
    }

    /// <summary>C1: the content type is application/pkixcmp.</summary>
    public static void ContentType(string? mediaType, string endpoint)
    {
        if (!string.Equals(mediaType, HttpCmpTransport.MediaType, StringComparison.OrdinalIgnoreCase))
        {
            throw new CmpException(CmpFailureReason.InvalidContentType,
                $"{endpoint} answered with content type '{mediaType ?? "(none)"}' instead of {HttpCmpTransport.MediaType}");
        }
    }

    /// <summary>C4: a server that closes the connection while the transaction needs it.</summary>
    public static void KeepAlive(CmpKeepAlive keepAlive, CmpExchangeInfo info, bool serverCloses, string endpoint)
    {
        if (keepAlive == CmpKeepAlive.Required && info.ExpectsMoreMessages && serverCloses)
        {
            throw new CmpException(CmpFailureReason.KeepAliveRefused, $"{endpoint} closed the connection although keep-alive is required");
        }
    }

    /// <summary>C2: a declared body length above the cap is refused before anything is read.</summary>
    public static void DeclaredLength(long? declared, int maxResponseSize, string endpoint)
    {
        if (declared > maxResponseSize)
        {
            throw TooLarge(endpoint, maxResponseSize, declared.Value.ToString(CultureInfo.InvariantCulture) + " bytes");
        }
    }

    /// <summary>C2: the error for a body that has grown beyond the cap while being read.</summary>
    public static CmpException TooLarge(string endpoint, int maxResponseSize) =>
        TooLarge(endpoint, maxResponseSize, "more than " + maxResponseSize.ToString(CultureInfo.InvariantCulture) + " bytes");

    private static CmpException TooLarge(string endpoint, int maxResponseSize, string size) =>
        new(CmpFailureReason.ResponseTooLarge,
            $"the response from {endpoint} is larger than the limit of {maxResponseSize.ToString(CultureInfo.InvariantCulture)} bytes ({size})");
}
