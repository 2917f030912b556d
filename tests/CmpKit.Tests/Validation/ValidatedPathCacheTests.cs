using System.Security.Cryptography.X509Certificates;
using CmpKit.Tests.Support;
using CmpKit.Validation;

namespace CmpKit.Tests.Validation;

/// <summary>
/// C20/C29 paths are remembered per trust-anchor list (ValidatedPathCache): a remembered path serves a later
/// check only while every certificate on it is valid and its anchor is still trusted.
/// </summary>
public class ValidatedPathCacheTests
{
    private sealed class Pki
    {
        public TestPki.Issued Root { get; } = TestPki.CreateRoot("CN=Path Cache Root");
        public TestPki.Issued Intermediate { get; }
        public TestPki.Issued Leaf { get; }

        public Pki(DateTimeOffset? intermediateNotAfter = null)
        {
            Intermediate = TestPki.IssueWithKey(Root, "CN=Path Cache Intermediate", keyUsage: X509KeyUsageFlags.KeyCertSign, ca: true,
                notAfter: intermediateNotAfter);
            Leaf = TestPki.IssueWithKey(Intermediate, "CN=Path Cache Leaf");
        }
    }

    private static VerificationPolicy Policy(IReadOnlyList<X509Certificate2> anchors, TimeProvider? time = null) =>
        new() { TrustAnchors = anchors, Time = time ?? TimeProvider.System };

    [Fact]
    public void A_validated_path_serves_a_later_check_that_lacks_the_intermediate()
    {
        var pki = new Pki();
        var policy = Policy([pki.Root.Certificate]);
        var now = DateTimeOffset.UtcNow;
        Assert.NotNull(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [], policy, now)); // no intermediate: no path
        Assert.Null(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [pki.Intermediate.Certificate], policy, now));
        Assert.Null(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [], policy, now)); // remembered
    }

    [Fact]
    public void A_remembered_path_is_not_used_once_a_certificate_on_it_has_expired()
    {
        var pki = new Pki(intermediateNotAfter: DateTimeOffset.UtcNow.AddHours(1));
        var policy = Policy([pki.Root.Certificate]);
        var now = DateTimeOffset.UtcNow;
        Assert.Null(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [pki.Intermediate.Certificate], policy, now));
        var error = SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [pki.Intermediate.Certificate], policy, now.AddHours(2));
        Assert.NotNull(error); // built again, and the expired intermediate fails it
    }

    [Fact]
    public void A_remembered_path_is_not_used_when_its_anchor_left_the_list()
    {
        var pki = new Pki();
        var otherRoot = TestPki.CreateRoot("CN=Another Root");
        var anchors = new List<X509Certificate2> { pki.Root.Certificate };
        var policy = Policy(anchors);
        var now = DateTimeOffset.UtcNow;
        Assert.Null(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [pki.Intermediate.Certificate], policy, now));
        anchors[0] = otherRoot.Certificate; // the same list object, now without the root
        Assert.NotNull(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [pki.Intermediate.Certificate], policy, now));
    }

    [Fact]
    public void Another_anchor_list_does_not_see_the_path()
    {
        var pki = new Pki();
        var now = DateTimeOffset.UtcNow;
        Assert.Null(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [pki.Intermediate.Certificate], Policy([pki.Root.Certificate]), now));
        Assert.NotNull(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [], Policy([pki.Root.Certificate]), now));
    }

    [Fact]
    public void A_path_found_while_ignoring_validity_serves_only_checks_that_ignore_it()
    {
        var pki = new Pki();
        var anchors = new List<X509Certificate2> { pki.Root.Certificate };
        var now = DateTimeOffset.UtcNow;
        var ignoring = Policy(anchors) with { IgnoreValidityPeriod = true };
        Assert.Null(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [pki.Intermediate.Certificate], ignoring, now.AddYears(10)));
        Assert.Null(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [], ignoring, now.AddYears(10)));
        Assert.NotNull(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [], Policy(anchors), now));
    }

    [Fact]
    public void The_depth_cap_applies_to_a_remembered_path_too()
    {
        var pki = new Pki();
        var anchors = new List<X509Certificate2> { pki.Root.Certificate };
        var now = DateTimeOffset.UtcNow;
        Assert.Null(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [pki.Intermediate.Certificate], Policy(anchors), now));
        Assert.NotNull(SenderCertificateValidator.ValidateChain(pki.Leaf.Certificate, [], Policy(anchors) with { MaxChainDepth = 0 }, now));
    }
}
