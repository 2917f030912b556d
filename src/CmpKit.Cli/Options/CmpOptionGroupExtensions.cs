namespace CmpKit.Cli.Options;

internal static class CmpOptionGroupExtensions
{
    /// <summary>Heading as <c>openssl cmp -help</c> prints it, or null for the general group.</summary>
    public static string? Heading(this CmpOptionGroup group) => group switch
    {
        CmpOptionGroup.General => null,
        CmpOptionGroup.GenericMessage => "Generic message options:",
        CmpOptionGroup.CertificateEnrollment => "Certificate enrollment options:",
        CmpOptionGroup.EnrollmentAndRevocation => "Certificate enrollment and revocation options:",
        CmpOptionGroup.MessageTransfer => "Message transfer options:",
        CmpOptionGroup.ServerAuthentication => "Server authentication options:",
        CmpOptionGroup.ClientAuthentication => "Client authentication options:",
        CmpOptionGroup.CredentialsFormat => "Credentials format options:",
        CmpOptionGroup.Provider => "Provider options:",
        CmpOptionGroup.RandomState => "Random state options:",
        CmpOptionGroup.TlsConnection => "TLS connection options:",
        CmpOptionGroup.ClientSideDebugging => "Client-side debugging options:",
        CmpOptionGroup.MockServer => "Mock server options:",
        CmpOptionGroup.Validation => "Validation options:",
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };
}
