using CmpKit.Messages;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Server;

public sealed partial class CmpServer
{
    /// <summary>
    /// The certProfile a certificate request names in its generalInfo (RFC 9810, section 5.1.1.4; RFC 9483, section
    /// 4.1.1) must be one of <see cref="MockCaOptions.CertProfiles"/>; only the first entry counts, as with OpenSSL's
    /// mock server (which knows only "profile1"). Null when acceptable (or no profile is named).
    /// </summary>
    private RequestProblem? CheckCertProfile(PkiMessage message)
    {
        if (_options.CertProfiles is not { } accepted)
        {
            return null;
        }
        IReadOnlyList<string>? profiles;
        try
        {
            profiles = ServerBodies.ReadCertProfile(message.Header);
        }
        catch (CmpException e)
        {
            return new RequestProblem(PkiFailureInfo.BadDataFormat, "the certProfile is malformed: " + e.Message);
        }
        if (profiles is null)
        {
            return null;
        }
        if (profiles.Count == 0)
        {
            return new RequestProblem(PkiFailureInfo.BadCertTemplate, "the certProfile names no profile");
        }
        return accepted.Contains(profiles[0], StringComparer.Ordinal) ? null
            : new RequestProblem(PkiFailureInfo.BadCertTemplate, $"the certificate profile '{profiles[0]}' is not supported");
    }
}
