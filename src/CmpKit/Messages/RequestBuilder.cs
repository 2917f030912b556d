using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using BcX509Extension = Org.BouncyCastle.Asn1.X509.X509Extension;

namespace CmpKit.Messages;

/// <summary>Builds the bodies of the messages a CMP client sends (RFC 9810, section 5.3; RFC 4211).</summary>
internal static class RequestBuilder
{
    /// <summary>The certReqId used for the single request of an ir, cr or kur (RFC 9483, section 4.1.1).</summary>
    public const int CertReqId = 0;

    /// <summary>
    /// Builds the CertReqMessages of an ir/cr/kur with one CertReqMsg: the template, the oldCertID
    /// control for kur, and the POP.
    /// </summary>
    /// <param name="kind">ir, cr or kur.</param>
    /// <param name="template">What to ask for, already completed with defaults.</param>
    /// <param name="publicKeyInfo">The DER SubjectPublicKeyInfo of the new key.</param>
    /// <param name="signingKey">The private key for signature POP, if available.</param>
    /// <param name="digest">The digest for the POP signature.</param>
    /// <param name="rsaPss">Whether an RSA POP signature uses PSS.</param>
    /// <param name="now">The current time, for -days.</param>
    public static PkiBody CertificateRequest(BodyType kind, CertificateRequestTemplate template, byte[] publicKeyInfo,
        AsymmetricAlgorithm? signingKey, HashAlgorithmName digest, bool rsaPss, DateTimeOffset now)
    {
        var tb = new CertTemplateBuilder();
        if (template.Subject is not null)
        {
            tb.SetSubject(Names.ToX509Name(template.Subject));
        }
        if (template.Issuer is not null)
        {
            tb.SetIssuer(Names.ToX509Name(template.Issuer));
        }
        if (template.ValidityDays is int days)
        {
            var notBefore = now.UtcDateTime;
            tb.SetValidity(new OptionalValidity(new Time(notBefore), new Time(notBefore.AddDays(days))));
        }
        tb.SetSubjectPublicKeyInfo(SubjectPublicKeyInfo.GetInstance(Asn1Object.FromByteArray(publicKeyInfo)));
        var extensions = BuildExtensions(template);
        if (extensions is not null)
        {
            tb.SetExtensions(extensions);
        }
        Controls? controls = null;
        if (kind == BodyType.Kur && template.OldCertificate is { } old)
        {
            // RFC 4211 6.5 / RFC 9483 4.1.3: oldCertID identifies the certificate to be updated.
            var oldStruct = X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(old.RawData));
            var certId = new CertId(new GeneralName(oldStruct.Issuer), oldStruct.SerialNumber);
            controls = new Controls([new AttributeTypeAndValue(CrmfObjectIdentifiers.id_regCtrl_oldCertID, certId)]);
        }
        var certRequest = new CertRequest(DerInteger.ValueOf(CertReqId), tb.Build(), controls);

        ProofOfPossession? pop = template.ProofOfPossession switch
        {
            ProofOfPossessionMethod.RaVerified => new ProofOfPossession(),
            ProofOfPossessionMethod.None => null,
            _ => SignaturePop(certRequest, signingKey, digest, rsaPss),
        };
        var msg = new CertReqMsg(certRequest, pop, null);
        var type = kind switch
        {
            BodyType.Ir => PkiBody.TYPE_INIT_REQ,
            BodyType.Cr => PkiBody.TYPE_CERT_REQ,
            BodyType.Kur => PkiBody.TYPE_KEY_UPDATE_REQ,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return new PkiBody(type, new CertReqMessages(msg));
    }

    private static ProofOfPossession SignaturePop(CertRequest request, AsymmetricAlgorithm? key, HashAlgorithmName digest, bool rsaPss)
    {
        if (key is null)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions,
                "signature proof-of-possession needs the new private key; give it, or choose POP raVerified or none");
        }
        // RFC 4211 4.1: the signature is over the DER of the CertRequest when poposkInput is omitted.
        var (alg, sig) = SignatureAlgorithms.Sign(key, digest, rsaPss, request.GetEncoded(Asn1Encodable.Der));
        return new ProofOfPossession(new PopoSigningKey(null, alg, new DerBitString(sig)));
    }

    private static X509Extensions? BuildExtensions(CertificateRequestTemplate template)
    {
        var gen = new X509ExtensionsGenerator();
        foreach (var e in template.Extensions)
        {
            var oid = new DerObjectIdentifier(e.Oid?.Value ?? throw new CmpException(CmpFailureReason.InvalidOptions, "an extension without OID"));
            if (gen.HasExtension(oid))
            {
                gen.RemoveExtension(oid);
            }
            gen.AddExtension(oid, e.Critical, e.RawData);
        }
        var names = new List<GeneralName>();
        names.AddRange(template.DnsNames.Select(d => new GeneralName(GeneralName.DnsName, d)));
        names.AddRange(template.IpAddresses.Select(ip => new GeneralName(GeneralName.IPAddress, new DerOctetString(ip.GetAddressBytes()))));
        names.AddRange(template.Uris.Select(u => new GeneralName(GeneralName.UniformResourceIdentifier, u.OriginalString)));
        names.AddRange(template.EmailAddresses.Select(m => new GeneralName(GeneralName.Rfc822Name, m)));
        if (names.Count > 0)
        {
            if (gen.HasExtension(X509Extensions.SubjectAlternativeName))
            {
                gen.RemoveExtension(X509Extensions.SubjectAlternativeName);
            }
            gen.AddExtension(X509Extensions.SubjectAlternativeName, template.SubjectAlternativeNamesCritical, new GeneralNames(names.ToArray()));
        }
        if (template.PolicyOids.Count > 0)
        {
            var policies = template.PolicyOids
                .Select(o => new PolicyInformation(new DerObjectIdentifier(o.Value ?? throw new CmpException(CmpFailureReason.InvalidOptions, "a policy without OID"))))
                .ToArray();
            if (gen.HasExtension(X509Extensions.CertificatePolicies))
            {
                gen.RemoveExtension(X509Extensions.CertificatePolicies);
            }
            gen.AddExtension(X509Extensions.CertificatePolicies, template.PoliciesCritical, new CertificatePolicies(policies));
        }
        return gen.IsEmpty ? null : gen.Generate();
    }

    /// <summary>The body of a p10cr: the PKCS#10 CertificationRequest as given.</summary>
    public static PkiBody P10CertificateRequest(ReadOnlyMemory<byte> csr)
    {
        CertificationRequest request;
        try
        {
            request = CertificationRequest.GetInstance(Asn1Object.FromByteArray(csr.ToArray()));
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidCastException or InvalidOperationException)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "the PKCS#10 request is not a valid DER CertificationRequest", innerException: e);
        }
        return new PkiBody(PkiBody.TYPE_P10_CERT_REQ, request);
    }

    /// <summary>
    /// certConf with one CertStatus (RFC 9810, section 5.3.18): certHash over the DER certificate with
    /// the hash of its signature algorithm, or with <paramref name="fallbackHash"/> given as hashAlg (CMPv3)
    /// where that algorithm has none.
    /// </summary>
    public static PkiBody CertConf(X509Certificate2 certificate, long certReqId, PkiStatus status,
        PkiFailureInfo failure, string? text, HashAlgorithmName fallbackHash, out bool needsV3)
    {
        HashAlgorithmName? hash;
        try
        {
            hash = SignatureAlgorithms.CertificateHash(certificate);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            // The certificate's signatureAlgorithm parameters do not parse (found by fuzzing the client).
            throw new CmpException(CmpFailureReason.MalformedResponse,
                "the new certificate's signature algorithm cannot be read: " + e.Message.ReplaceLineEndings(" "), innerException: e);
        }
        AlgorithmIdentifier? hashAlg = null;
        needsV3 = false;
        if (hash is null)
        {
            hash = fallbackHash;
            hashAlg = new AlgorithmIdentifier(new DerObjectIdentifier(SignatureAlgorithms.HashOid(fallbackHash)));
            needsV3 = true;
        }
        var certHash = SignatureAlgorithms.HashData(hash.Value, certificate.RawData);
        var v = new Asn1EncodableVector(new DerOctetString(certHash), DerInteger.ValueOf(certReqId));
        v.Add(StatusInfos.ToBc(status, failure, text is null ? null : [text]));
        if (hashAlg is not null)
        {
            v.Add(new DerTaggedObject(true, 0, hashAlg));
        }
        var content = CertConfirmContent.GetInstance(new DerSequence(new DerSequence(v)));
        return new PkiBody(PkiBody.TYPE_CERT_CONFIRM, content);
    }

    /// <summary>pollReq for one certReqId (RFC 9810, section 5.3.22).</summary>
    public static PkiBody PollReq(long certReqId) =>
        new(PkiBody.TYPE_POLL_REQ, new PollReqContent(new Org.BouncyCastle.Math.BigInteger(certReqId.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    /// <summary>An error message (RFC 9810, section 5.3.21).</summary>
    public static PkiBody Error(PkiStatus status, PkiFailureInfo failure, string? text, long? errorCode = null, string? details = null) =>
        new(PkiBody.TYPE_ERROR, new ErrorMsgContent(StatusInfos.ToBc(status, failure, text is null ? null : [text]),
            errorCode is long c ? DerInteger.ValueOf(c) : null, details is null ? null : new PkiFreeText(details)));

    /// <summary>pkiConf (RFC 9810, section 5.3.17).</summary>
    public static PkiBody PkiConf() => new(PkiBody.TYPE_CONFIRM, DerNull.Instance);
}
