using System.Globalization;
using System.Text;

namespace CmpKit;

/// <summary>
/// A PKIStatusInfo as sent by a CMP server (RFC 9810, section 5.2.3), plus the errorCode and
/// errorDetails of an error message where the status came in one.
/// </summary>
public sealed class CmpStatusInfo
{
    /// <summary>Creates a status info.</summary>
    /// <param name="status">The status value; values outside <see cref="PkiStatus"/> are kept as they are.</param>
    /// <param name="failureInfo">The failure bits (bits 0..26).</param>
    /// <param name="texts">The statusString texts, in order.</param>
    /// <param name="errorCode">The errorCode of an error message, if any.</param>
    /// <param name="errorDetails">The errorDetails of an error message, if any.</param>
    public CmpStatusInfo(PkiStatus status, PkiFailureInfo failureInfo = PkiFailureInfo.None,
        IReadOnlyList<string>? texts = null, long? errorCode = null, IReadOnlyList<string>? errorDetails = null)
    {
        Status = status;
        FailureInfo = failureInfo;
        Texts = texts ?? [];
        ErrorCode = errorCode;
        ErrorDetails = errorDetails ?? [];
    }

    /// <summary>The PKIStatus.</summary>
    public PkiStatus Status { get; }

    /// <summary>The PKIFailureInfo bits that were set.</summary>
    public PkiFailureInfo FailureInfo { get; }

    /// <summary>The statusString texts.</summary>
    public IReadOnlyList<string> Texts { get; }

    /// <summary>The errorCode of an error message (implementation specific), if the status came in one.</summary>
    public long? ErrorCode { get; }

    /// <summary>The errorDetails texts of an error message, if the status came in one.</summary>
    public IReadOnlyList<string> ErrorDetails { get; }

    /// <summary>The names of the failure bits that are set, in bit order (e.g. "badPOP").</summary>
    public IReadOnlyList<string> FailureInfoNames
    {
        get
        {
            var names = new List<string>();
            for (int bit = 0; bit <= 26; bit++)
            {
                if (((int)FailureInfo & (1 << bit)) != 0)
                {
                    names.Add(FailureBitName(bit));
                }
            }
            return names;
        }
    }

    /// <summary>The RFC 9810 name of a PKIStatus value, e.g. "grantedWithMods".</summary>
    /// <param name="status">The status.</param>
    public static string StatusName(PkiStatus status) => status switch
    {
        PkiStatus.Accepted => "accepted",
        PkiStatus.GrantedWithMods => "grantedWithMods",
        PkiStatus.Rejection => "rejection",
        PkiStatus.Waiting => "waiting",
        PkiStatus.RevocationWarning => "revocationWarning",
        PkiStatus.RevocationNotification => "revocationNotification",
        PkiStatus.KeyUpdateWarning => "keyUpdateWarning",
        _ => "unknown status " + ((int)status).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The RFC 9810 name of a PKIFailureInfo bit number (0..26), e.g. 9 is "badPOP".</summary>
    /// <param name="bit">The bit number.</param>
    public static string FailureBitName(int bit) => bit switch
    {
        0 => "badAlg", 1 => "badMessageCheck", 2 => "badRequest", 3 => "badTime", 4 => "badCertId",
        5 => "badDataFormat", 6 => "wrongAuthority", 7 => "incorrectData", 8 => "missingTimeStamp",
        9 => "badPOP", 10 => "certRevoked", 11 => "certConfirmed", 12 => "wrongIntegrity",
        13 => "badRecipientNonce", 14 => "timeNotAvailable", 15 => "unacceptedPolicy",
        16 => "unacceptedExtension", 17 => "addInfoNotAvailable", 18 => "badSenderNonce",
        19 => "badCertTemplate", 20 => "signerNotTrusted", 21 => "transactionIdInUse",
        22 => "unsupportedVersion", 23 => "notAuthorized", 24 => "systemUnavail",
        25 => "systemFailure", 26 => "duplicateCertReq",
        _ => "bit " + bit.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A one-line description, e.g. <c>rejection; failInfo: badPOP; "key not accepted"</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(StatusName(Status));
        if (FailureInfo != PkiFailureInfo.None)
        {
            sb.Append("; failInfo: ").Append(string.Join(",", FailureInfoNames));
        }
        foreach (var t in Texts)
        {
            sb.Append("; \"").Append(t).Append('"');
        }
        if (ErrorCode is long code)
        {
            sb.Append("; errorCode: ").Append(code.ToString(CultureInfo.InvariantCulture));
        }
        foreach (var d in ErrorDetails)
        {
            sb.Append("; \"").Append(d).Append('"');
        }
        return sb.ToString();
    }
}
