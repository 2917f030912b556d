namespace CmpKit.Cli.Options;

/// <summary>The groups <c>openssl cmp -help</c> lists options under, in that order.</summary>
internal enum CmpOptionGroup
{
    /// <summary>-help, -config, -section, -verbosity (no heading).</summary>
    General,
    GenericMessage,
    CertificateEnrollment,
    EnrollmentAndRevocation,
    MessageTransfer,
    ServerAuthentication,
    ClientAuthentication,
    CredentialsFormat,
    Provider,
    RandomState,
    TlsConnection,
    ClientSideDebugging,
    MockServer,
    Validation,
}
