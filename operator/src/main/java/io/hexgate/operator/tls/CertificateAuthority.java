package io.hexgate.operator.tls;

import io.hexgate.observer.peer.PeerInfo;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The CA the operator issues its server certificate and the agents' client certificates from (EC P-256,
 * ECDSA with SHA-256). An agent certificate names its node in the subject CN as {@code node:<name>} and
 * may only be used for TLS clients; the server certificate only for TLS servers.
 */
public final class CertificateAuthority {
  public static final String KEY_ALGORITHM = "EC";
  static final String NODE_CN_PREFIX = "node:";
  // an agent's certificate authenticates it to the operator and its Hubble server to the relay
  private static final KeyPurposeId[] AGENT_PURPOSES = {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth};
  private static final String SIGNATURE = "SHA256withECDSA";
  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  public static final Duration LEAF_VALIDITY = Duration.ofDays(365);
  private static final Duration BACKDATE = Duration.ofMinutes(5); // tolerate clock skew between nodes

  private final X509Certificate certificate;
  private final PrivateKey key;
  private final Clock clock;
  private final Duration leafValidity;
  private final SecureRandom random = new SecureRandom();

  public CertificateAuthority(X509Certificate certificate, PrivateKey key, Clock clock) {
    this(certificate, key, clock, LEAF_VALIDITY);
  }

  private CertificateAuthority(X509Certificate certificate, PrivateKey key, Clock clock, Duration leafValidity) {
    if (leafValidity.isNegative() || leafValidity.isZero()) {
      throw new IllegalArgumentException("certificate lifetime must be positive, not " + leafValidity);
    }
    this.certificate = certificate;
    this.key = key;
    this.clock = clock;
    this.leafValidity = leafValidity;
  }

  /** The same CA issuing leaf certificates that last {@code validity} (a year by default; short in tests). */
  public CertificateAuthority withLeafValidity(Duration validity) {
    return new CertificateAuthority(certificate, key, clock, validity);
  }

  public Duration leafValidity() {
    return leafValidity;
  }

  /** A new self-signed CA. */
  public static CertificateAuthority create(String commonName, Clock clock) {
    KeyPair pair = newKeyPair();
    X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  name, serial(new SecureRandom()), Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new CertificateAuthority(sign(b, pair.getPrivate()), pair.getPrivate(), clock);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot create CA " + commonName, e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey key() {
    return key;
  }

  /** A client certificate for the agent of {@code node}. */
  public IssuedCertificate issueAgent(String node) {
    if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("node name must not be empty");
    }
    return issue(NODE_CN_PREFIX + node, List.of(), AGENT_PURPOSES, List.of(hubbleServerName(node)), List.of());
  }

  /**
   * The name an agent's Hubble server (port 4244) presents and the relay verifies, in Hubble's scheme
   * {@code <node>.<cluster>.hubble-grpc.cilium.io} with dots replaced by dashes; the cluster is always
   * {@code default}, as for a Cilium cluster without a name.
   */
  public static String hubbleServerName(String node) {
    return PeerInfo.tlsServerName(null, node);
  }

  /**
   * Signs an agent's renewal request for {@code node}, the node its current certificate names. The
   * request must be signed by its own key (proof that the agent holds it), name exactly
   * {@code CN=node:<node>} and carry an EC P-256 key; the agent's private key never reaches the CA.
   *
   * @throws IllegalArgumentException with the reason when the request is refused
   */
  public X509Certificate signAgentRequest(String node, String csrPem) {
    if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("node name must not be empty");
    }
    CertificateRequests.Parsed csr = CertificateRequests.parse(csrPem);
    String cn = NODE_CN_PREFIX + node;
    if (!cn.equals(csr.commonName())) {
      throw new IllegalArgumentException(
          "the request names " + (csr.commonName() == null ? csr.subject() : "CN=" + csr.commonName())
              + ", but this agent's certificate is for CN=" + cn);
    }
    try {
      return certify(cn, List.of(), AGENT_PURPOSES, List.of(hubbleServerName(node)), List.of(), csr.publicKey());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot sign the certificate request of node " + node, e);
    }
  }

  /** A server certificate for the operator, valid for the given DNS names and IP addresses. */
  public IssuedCertificate issueServer(String commonName, List<String> dnsNames, List<String> ipAddresses) {
    return issue(commonName, List.of(), new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth}, dnsNames, ipAddresses);
  }

  /**
   * A client certificate for a Kubernetes user: the API server reads the common name as the user name and
   * each organization as one of its groups (as {@code CN=admin, O=system:masters}).
   */
  public IssuedCertificate issueClient(String user, List<String> groups) {
    return issue(user, groups, new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}, List.of(), List.of());
  }

  /** The node an agent certificate names, or null if it is not an agent certificate. */
  public static String nodeOf(X509Certificate cert) {
    X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    var cns = subject.getRDNs(BCStyle.CN);
    if (cns.length != 1) {
      return null;
    }
    String cn = cns[0].getFirst().getValue().toString();
    return cn.startsWith(NODE_CN_PREFIX) && cn.length() > NODE_CN_PREFIX.length()
        ? cn.substring(NODE_CN_PREFIX.length())
        : null;
  }

  private IssuedCertificate issue(String cn, List<String> organizations, KeyPurposeId[] purpose, List<String> dns, List<String> ips) {
    KeyPair pair = newKeyPair();
    try {
      return new IssuedCertificate(certify(cn, organizations, purpose, dns, ips, pair.getPublic()), pair.getPrivate(), certificate);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot issue certificate for " + cn, e);
    }
  }

  private X509Certificate certify(String cn, List<String> organizations, KeyPurposeId[] purpose, List<String> dns, List<String> ips, PublicKey pub)
      throws GeneralSecurityException, CertIOException {
    Instant now = clock.instant();
    X500Name issuer = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    X500NameBuilder subjectName = new X500NameBuilder(BCStyle.INSTANCE);
    organizations.forEach(o -> subjectName.addRDN(BCStyle.O, o));
    X500Name subject = subjectName.addRDN(BCStyle.CN, cn).build();
    // backdated for clock skew, but never by more than a tenth of the lifetime: a short-lived certificate
    // must not look mostly used up (and due for renewal) the moment it is issued
    Duration backdate = BACKDATE.compareTo(leafValidity.dividedBy(10)) < 0 ? BACKDATE : leafValidity.dividedBy(10);
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
                issuer, serial(random), Date.from(now.minus(backdate)), Date.from(now.plus(leafValidity)), subject, pub)
            .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
            .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
            .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pub))
            .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
    List<GeneralName> names = new ArrayList<>();
    dns.forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
    ips.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
    if (!names.isEmpty()) {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
    }
    return sign(b, key);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(signer)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(KEY_ALGORITHM);
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 key generator", e);
    }
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random).add(BigInteger.ONE);
  }
}
