package io.hexgate.datapath.agent;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.hexgate.contract.v1.CertificateResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.X509KeyManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The agent's client certificate in its directory ({@code tls.crt}, {@code tls.key}, {@code ca.crt}), and
 * its renewal: when two thirds of its lifetime have passed the agent makes a new EC P-256 key pair, sends
 * only a certificate request for {@code CN=node:<node>} (the private key never leaves this process until
 * it is written to the directory), and installs the certificate the operator returns.
 *
 * <p>Installing writes {@code tls.key.new} and {@code tls.crt.new} in full, then renames the key and then
 * the certificate over the old ones (each rename is atomic). An agent stopped between the two renames
 * finds a pair that does not match; {@link #load} completes (or drops) a half-done installation, so the
 * directory always ends as one matching pair. The key manager handed to the TLS channel serves the new
 * certificate from the next handshake on.
 */
public final class CertificateRotation {
  private static final String NODE_CN_PREFIX = "node:";
  private static final String NEW = ".new";

  private final Path dir;
  private final String node;
  private final Clock clock;
  private final X509Certificate ca;
  private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
  private volatile X509Certificate current;
  private KeyPair pending; // guarded by this
  private final List<Runnable> renewed = new CopyOnWriteArrayList<>();

  private CertificateRotation(Path dir, String node, Clock clock, X509Certificate ca, X509Certificate cert, PrivateKey key) {
    this.dir = dir;
    this.node = node;
    this.clock = clock;
    this.ca = ca;
    use(cert, key);
  }

  /**
   * Reads the directory, first finishing an installation an earlier agent was stopped in.
   *
   * @throws IllegalStateException naming the file that is missing or wrong
   */
  public static CertificateRotation load(Path dir, String node, Clock clock) {
    recover(dir);
    X509Certificate cert = readCertificate(dir.resolve(AgentCredentials.CERT_FILE));
    PrivateKey key = readKey(dir.resolve(AgentCredentials.KEY_FILE));
    X509Certificate ca = readCertificate(dir.resolve(AgentCredentials.CA_FILE));
    if (!matches(cert, key)) {
      throw new IllegalStateException(dir.resolve(AgentCredentials.KEY_FILE) + " is not the key of " + dir.resolve(AgentCredentials.CERT_FILE));
    }
    return new CertificateRotation(dir, node, clock, ca, cert, key);
  }

  /** Runs {@code listener} after each renewed certificate is installed, before {@link #install} returns. */
  public void onRenewed(Runnable listener) {
    renewed.add(listener);
  }

  /** For the channel's TLS: always the newest certificate installed. */
  public X509KeyManager keyManager() {
    return keyManager;
  }

  public Path directory() {
    return dir;
  }

  public X509Certificate certificate() {
    return current;
  }

  /** After two thirds of the certificate's lifetime. */
  public Instant renewalTime() {
    Instant from = current.getNotBefore().toInstant();
    Instant to = current.getNotAfter().toInstant();
    return from.plus(Duration.between(from, to).multipliedBy(2).dividedBy(3));
  }

  public boolean due() {
    return !clock.instant().isBefore(renewalTime());
  }

  /** How long to wait before asking again after a refused or failed renewal: a tenth of what is left, 1 s to 10 min. */
  public Duration retryDelay() {
    Duration left = Duration.between(clock.instant(), current.getNotAfter().toInstant()).dividedBy(10);
    if (left.compareTo(Duration.ofSeconds(1)) < 0) {
      return Duration.ofSeconds(1);
    }
    return left.compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(10) : left;
  }

  /** A new key pair, kept here, and the PEM certificate request for it (replacing any earlier pending one). */
  public synchronized String request() {
    Request r = newRequest(node);
    pending = r.pair();
    return r.pem();
  }

  /** A new EC P-256 key pair and a PEM certificate request for {@code CN=node:<node>} signed by it. */
  record Request(KeyPair pair, String pem) {}

  static Request newRequest(String node) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = g.generateKeyPair();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, NODE_CN_PREFIX + node).build();
      var csr =
          new JcaPKCS10CertificationRequestBuilder(subject, pair.getPublic())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
      StringWriter w = new StringWriter();
      try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
        pem.writeObject(csr);
      }
      return new Request(pair, w.toString());
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot make a certificate request", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Checks the operator's answer to the pending request and installs it: in the directory, and for the
   * next handshake.
   *
   * @throws IllegalArgumentException why the answer was not taken (the current certificate stays)
   */
  public synchronized X509Certificate install(CertificateResponse response) {
    if (!response.getError().isEmpty()) {
      throw new IllegalArgumentException("the operator refused: " + response.getError());
    }
    if (pending == null) {
      throw new IllegalArgumentException("a certificate arrived that no request of this agent asked for");
    }
    X509Certificate cert = checkIssued(response.getCertificatePem(), response.getCaPem(), pending, ca, node, clock, dir);
    PrivateKey key = pending.getPrivate();
    write(cert, key);
    use(cert, key);
    pending = null;
    renewed.forEach(Runnable::run);
    return cert;
  }

  /**
   * The certificate the operator issued for {@code requested}'s key, once it is checked: for that key,
   * from {@code ca}, valid now and naming {@code node}.
   *
   * @throws IllegalArgumentException why it is not taken
   */
  static X509Certificate checkIssued(
      String certificatePem, String caPem, KeyPair requested, X509Certificate ca, String node, Clock clock, Path dir) {
    X509Certificate cert;
    X509Certificate responseCa;
    try {
      cert = parseCertificate(certificatePem);
      responseCa = parseCertificate(caPem);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the operator's certificate is unreadable: " + e.getMessage(), e);
    }
    if (!cert.getPublicKey().equals(requested.getPublic())) {
      throw new IllegalArgumentException("the certificate is not for the key this agent asked for");
    }
    if (!responseCa.equals(ca)) {
      throw new IllegalArgumentException("the certificate comes from another CA than " + dir.resolve(AgentCredentials.CA_FILE));
    }
    try {
      cert.verify(ca.getPublicKey());
      cert.checkValidity(java.util.Date.from(clock.instant()));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the certificate does not verify against the CA or is not valid now: " + e.getMessage(), e);
    }
    String cn = commonName(cert);
    if (!(NODE_CN_PREFIX + node).equals(cn)) {
      throw new IllegalArgumentException("the certificate names " + cn + ", not " + NODE_CN_PREFIX + node);
    }
    return cert;
  }

  private void use(X509Certificate cert, PrivateKey key) {
    keyManager.updateIdentityCredentials(new X509Certificate[] {cert}, key);
    current = cert;
  }

  private void write(X509Certificate cert, PrivateKey key) {
    write(dir, cert, key);
  }

  /** Writes the key and then the certificate over the directory's, each in full before an atomic rename. */
  static void write(Path dir, X509Certificate cert, PrivateKey key) {
    Path keyNew = dir.resolve(AgentCredentials.KEY_FILE + NEW);
    Path certNew = dir.resolve(AgentCredentials.CERT_FILE + NEW);
    try {
      writeSynced(keyNew, pkcs8(key), true);
      writeSynced(certNew, pem("CERTIFICATE", cert.getEncoded()), false);
      Files.move(keyNew, dir.resolve(AgentCredentials.KEY_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Files.move(certNew, dir.resolve(AgentCredentials.CERT_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(dir);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot write the renewed certificate to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Finishes or drops an installation that stopped half-way, so the directory holds one matching pair. */
  static void recover(Path dir) {
    Path key = dir.resolve(AgentCredentials.KEY_FILE);
    Path cert = dir.resolve(AgentCredentials.CERT_FILE);
    Path keyNew = dir.resolve(AgentCredentials.KEY_FILE + NEW);
    Path certNew = dir.resolve(AgentCredentials.CERT_FILE + NEW);
    try {
      if (Files.exists(certNew)) {
        // key already renamed (no key.new) or not yet: the new certificate goes in only with its own key
        boolean keyRenamed = !Files.exists(keyNew);
        if (pairMatches(certNew, keyRenamed ? key : keyNew)) {
          if (!keyRenamed) {
            Files.move(keyNew, key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          }
          Files.move(certNew, cert, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
          Files.delete(certNew);
        }
      }
      Files.deleteIfExists(keyNew);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot finish the interrupted certificate renewal in " + dir, e);
    }
  }

  static boolean pairMatches(Path cert, Path key) {
    try {
      return matches(readCertificate(cert), readKey(key));
    } catch (RuntimeException e) {
      return false; // written only in part
    }
  }

  /** Whether {@code key} signs what {@code cert}'s public key verifies. */
  private static boolean matches(X509Certificate cert, PrivateKey key) {
    try {
      byte[] data = "hexgate".getBytes(StandardCharsets.US_ASCII);
      java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
      s.initSign(key);
      s.update(data);
      byte[] sig = s.sign();
      s.initVerify(cert.getPublicKey());
      s.update(data);
      return s.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static X509Certificate readCertificate(Path file) {
    try {
      return parseCertificate(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the certificate " + file + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey readKey(Path file) {
    try (PEMParser p = new PEMParser(new StringReader(Files.readString(file, StandardCharsets.US_ASCII)))) {
      Object o = p.readObject();
      if (!(o instanceof PrivateKeyInfo info)) {
        throw new IllegalStateException(file + " holds no PKCS#8 private key (BEGIN PRIVATE KEY)");
      }
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the private key " + file + ": " + e.getMessage(), e);
    }
  }

  private static X509Certificate parseCertificate(String pem) throws GeneralSecurityException {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  static String commonName(X509Certificate cert) {
    var cns = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
    return cns.length == 1 ? cns[0].getFirst().getValue().toString() : cert.getSubjectX500Principal().getName();
  }

  private static String pkcs8(PrivateKey key) {
    return pem("PRIVATE KEY", key.getEncoded());
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  static void writeSynced(Path file, String text, boolean secret) throws IOException {
    Files.deleteIfExists(file);
    if (secret) {
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(file); // not a POSIX file system: nothing more to restrict
      }
    }
    try (FileChannel ch =
        FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))) {
      ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // not every file system lets a directory be synced; the renames are done all the same
    }
  }

  @Override
  public String toString() {
    return "certificate " + current.getSerialNumber().toString(16) + " of node " + node + " in " + dir
        + " (valid until " + current.getNotAfter().toInstant() + ", renewal from " + renewalTime() + ")";
  }
}
