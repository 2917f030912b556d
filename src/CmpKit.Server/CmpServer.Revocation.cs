using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using Microsoft.Extensions.Logging;

namespace CmpKit.Server;

public sealed partial class CmpServer
{
    // Certificates this server knows (issued here, or configured as RefCert/RspCert) by issuer DN and serial,
    // and whether they were revoked. Issued certificates are kept up to MockCaOptions.MaxKnownCertificates,
    // oldest forgotten first; configured ones always. Each keeps only the certificate's DER (shared with the
    // IssuedCertificate, not copied): the decoded structure is a graph of some hundred objects, and keeping
    // 100,000 of them alive would make every garbage collection trace and promote them.
    private readonly ConcurrentDictionary<string, KnownCertificate> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _issuedOrder = new();

    private sealed class KnownCertificate(byte[] der)
    {
        public byte[] Der { get; } = der;
        public int Revoked;
    }

    // Issuer names in canonical form (RFC 5280, section 7.1) by their DER: issued certificates all name the CA,
    // and canonicalising a name costs a few microseconds each time.
    private readonly DerKeyedCache<string> _canonicalIssuers = new(64);

    /// <summary>Whether <paramref name="certificate"/> was revoked through this server (an rr it answered positively).</summary>
    /// <param name="certificate">The certificate.</param>
    public bool IsRevoked(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return _known.TryGetValue(Key(certificate.IssuerName.RawData, certificate.SerialNumberBytes.Span), out var k) && Volatile.Read(ref k.Revoked) != 0;
    }

    private void Remember(IssuedCertificate certificate, bool configured = false)
    {
        var structure = certificate.Structure;
        var key = Key(structure.Issuer.GetEncoded(Org.BouncyCastle.Asn1.Asn1Encodable.Der), structure.SerialNumber.Value.ToByteArray());
        if (!_known.TryAdd(key, new KnownCertificate(certificate.Der)) || configured)
        {
            return;
        }
        _issuedOrder.Enqueue(key);
        while (_issuedOrder.Count > Math.Max(0, _options.MaxKnownCertificates) && _issuedOrder.TryDequeue(out var oldest))
        {
            _known.TryRemove(oldest, out _);
        }
    }

    /// <summary>
    /// The key of a certificate by issuer and serial number. The issuer is compared as OpenSSL's X509_NAME_cmp
    /// compares names (RFC 5280, section 7.1), so an rr naming the issuer with other string types, case or
    /// spacing (as <c>-issuer /C=AU/...</c> gives UTF8String where the certificate has PrintableString) still matches.
    /// </summary>
    private string Key(byte[] issuer, ReadOnlySpan<byte> serial) =>
        _canonicalIssuers.GetOrAdd(issuer, issuer, static der => Names.Canonical(der) ?? "raw:" + Convert.ToHexString(der))
        + "#" + Convert.ToHexString(serial.TrimStart((byte)0));

    /// <summary>
    /// rr (RFC 9810, section 5.3.9) answered with rp (5.3.10). As OpenSSL's mock server: an rr without issuer or
    /// serial gets the configured status; otherwise it must name a certificate this server knows (one it issued,
    /// or <see cref="MockCaOptions.RefCert"/> / <see cref="MockCaOptions.RspCert"/>). A positive status revokes it;
    /// revoking it again is refused with certRevoked, an unknown certificate with badCertId.
    /// </summary>
    private byte[] HandleRevocationRequest(Org.BouncyCastle.Asn1.Cmp.PkiMessage message, RequestContext rc)
    {
        RevocationRequestData request;
        try
        {
            request = ServerBodies.ReadRevocationRequest(message.Body);
        }
        catch (CmpException e)
        {
            return Error(rc, PkiFailureInfo.BadDataFormat, e.Message);
        }
        if (request.RequestCount != 1)
        {
            return Rp(rc, PkiStatus.Rejection, PkiFailureInfo.BadRequest, ["only one revocation request per message is supported"]);
        }
        var status = ConfiguredStatus();
        if (request.Issuer is null || request.SerialNumber is null)
        {
            return Rp(rc, status, _configuredFailure, Texts());
        }
        var key = Key(request.Issuer.RawData, request.SerialNumber);
        if (!_known.TryGetValue(key, out var known))
        {
            return Rp(rc, PkiStatus.Rejection, PkiFailureInfo.BadCertId, ["the certificate to revoke is not known to this server"]);
        }
        if (status is not (PkiStatus.Accepted or PkiStatus.GrantedWithMods or PkiStatus.RevocationWarning or PkiStatus.RevocationNotification))
        {
            return Rp(rc, status, _configuredFailure, Texts());
        }
        if (Interlocked.Exchange(ref known.Revoked, 1) != 0)
        {
            // RFC 9810 5.2.3: revocationNotification says a revocation has occurred (clients take it as success).
            return Rp(rc, PkiStatus.RevocationNotification, PkiFailureInfo.None, ["the certificate is already revoked"]);
        }
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var revoked = IssuedCertificate.FromDer(known.Der);
            _logger.LogInformation("CMP server: revoked '{Subject}' (serial {Serial})", revoked.Subject, revoked.SerialNumber);
        }
        return Rp(rc, status, _configuredFailure, Texts());
    }

    private byte[] Rp(RequestContext rc, PkiStatus status, PkiFailureInfo failure, IReadOnlyList<string> texts) =>
        Respond(rc, ResponseBuilder.Rp(status, failure, texts), negative: status == PkiStatus.Rejection);
}
