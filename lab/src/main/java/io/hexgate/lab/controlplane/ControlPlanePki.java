package io.hexgate.lab.controlplane;

import io.hexgate.operator.tls.CertificateAuthority;
import io.hexgate.operator.tls.IssuedCertificate;
import io.hexgate.operator.tls.Pem;
import java.io.IOException;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * The lab control plane's keys and certificates, made anew for each lab in one directory: one CA that signs
 * the API server's serving certificate and every client certificate (the user, the controller manager, the
 * scheduler, each node), and the key pair that signs and verifies ServiceAccount tokens. Kubeconfigs carry
 * their certificates inline, so a kubeconfig is the whole credential.
 */
public final class ControlPlanePki {
  /** Longer than a lab lives (the CA itself lasts longer still). */
  private static final Duration VALIDITY = Duration.ofDays(365);

  private final Path dir;
  private final CertificateAuthority ca;

  private ControlPlanePki(Path dir, CertificateAuthority ca) {
    this.dir = dir;
    this.ca = ca;
  }

  /** A new CA, the API server's serving certificate for {@code localhost}/127.0.0.1 (and the address containers reach it at) and the token keys, written into {@code dir}. */
  public static ControlPlanePki create(Path dir) {
    CertificateAuthority ca = CertificateAuthority.create("hexgate-lab-kubernetes-ca", Clock.systemUTC()).withLeafValidity(VALIDITY);
    ControlPlanePki pki = new ControlPlanePki(dir, ca);
    try {
      Files.createDirectories(dir);
      Files.writeString(pki.caFile(), Pem.certificate(ca.certificate()));
      IssuedCertificate serving =
          ca.issueServer("kube-apiserver", List.of("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"), List.of("127.0.0.1", io.hexgate.lab.container.ApiServerRelay.ADDRESS));
      Files.writeString(pki.servingCertFile(), serving.certificatePem());
      writePrivate(pki.servingKeyFile(), serving.keyPem());
      KeyPair tokens = newKeyPair();
      writePrivate(pki.tokenSigningKeyFile(), Pem.privateKey(tokens.getPrivate()));
      Files.writeString(pki.tokenVerifyingKeyFile(), pem("PUBLIC KEY", tokens.getPublic().getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the control plane's certificates to " + dir, e);
    }
    return pki;
  }

  public Path caFile() {
    return dir.resolve("ca.crt");
  }

  public Path servingCertFile() {
    return dir.resolve("apiserver.crt");
  }

  public Path servingKeyFile() {
    return dir.resolve("apiserver.key");
  }

  /** The private key the API server signs ServiceAccount tokens with (and the controller manager too). */
  public Path tokenSigningKeyFile() {
    return dir.resolve("sa.key");
  }

  public Path tokenVerifyingKeyFile() {
    return dir.resolve("sa.pub");
  }

  /** A client certificate for {@code user} in {@code groups}. */
  public IssuedCertificate client(String user, String... groups) {
    return ca.issueClient(user, List.of(groups));
  }

  /** The CA's certificate in PEM. */
  public String caPem() {
    return Pem.certificate(ca.certificate());
  }

  /** Writes a kubeconfig for {@code user} at {@code server} (certificates inline), readable by its owner only. */
  public Path writeKubeconfig(Path file, URI server, String user, IssuedCertificate cert) {
    Base64.Encoder b64 = Base64.getEncoder();
    String text =
        "apiVersion: v1\n"
            + "kind: Config\n"
            + "clusters:\n"
            + "- name: hexgate-lab\n"
            + "  cluster:\n"
            + "    server: " + server + "\n"
            + "    certificate-authority-data: " + b64.encodeToString(caPem().getBytes(StandardCharsets.US_ASCII)) + "\n"
            + "users:\n"
            + "- name: " + user + "\n"
            + "  user:\n"
            + "    client-certificate-data: " + b64.encodeToString(cert.certificatePem().getBytes(StandardCharsets.US_ASCII)) + "\n"
            + "    client-key-data: " + b64.encodeToString(sec1(cert).getBytes(StandardCharsets.US_ASCII)) + "\n"
            + "contexts:\n"
            + "- name: hexgate-lab\n"
            + "  context:\n"
            + "    cluster: hexgate-lab\n"
            + "    user: " + user + "\n"
            + "current-context: hexgate-lab\n";
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      writePrivate(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write kubeconfig " + file, e);
    }
    return file;
  }

  /**
   * The key as {@code EC PRIVATE KEY} (SEC 1): what kubectl writes, and the form fabric8 recognises as EC
   * (it takes a PKCS #8 key for RSA).
   */
  private static String sec1(IssuedCertificate cert) {
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(cert.key().getEncoded());
      ECPrivateKey ec = ECPrivateKey.getInstance(info.parsePrivateKey());
      // with the curve named inside, which a PKCS #8 key keeps outside
      return pem("EC PRIVATE KEY",
          new ECPrivateKey(256, ec.getKey(), ec.getPublicKey(), info.getPrivateKeyAlgorithm().getParameters()).getEncoded());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode the key of " + cert.certificate().getSubjectX500Principal(), e);
    }
  }

  /** A key store holding {@code cert} and its key, for a TLS client (password "changeit"). */
  public static KeyStore keyStore(IssuedCertificate cert) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", cert.key(), "changeit".toCharArray(), new java.security.cert.Certificate[] {cert.certificate()});
      return ks;
    } catch (Exception e) {
      throw new IllegalStateException("cannot make a key store for " + cert.certificate().getSubjectX500Principal(), e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException("no EC P-256 key generator", e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static void writePrivate(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text, StandardCharsets.US_ASCII);
  }

}
