package io.hexgate.operator.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * A certificate with its key and the CA certificate that verifies its peers. On disk it is three files
 * named as in a Kubernetes TLS Secret: {@code tls.crt}, {@code tls.key} and {@code ca.crt}.
 */
public record IssuedCertificate(X509Certificate certificate, PrivateKey key, X509Certificate ca) {
  public static final String CERT_FILE = "tls.crt";
  public static final String KEY_FILE = "tls.key";
  public static final String CA_FILE = "ca.crt";

  public String certificatePem() {
    return Pem.certificate(certificate);
  }

  public String keyPem() {
    return Pem.privateKey(key);
  }

  public String caPem() {
    return Pem.certificate(ca);
  }

  /** Writes the three files into {@code dir} (created if needed); the key readable by its owner only. */
  public void writeTo(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(CERT_FILE), certificatePem());
      Files.writeString(dir.resolve(CA_FILE), caPem());
      Path key = dir.resolve(KEY_FILE);
      Files.deleteIfExists(key);
      Files.createFile(key);
      try {
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: nothing more to restrict
      }
      Files.writeString(key, keyPem());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write certificate files to " + dir, e);
    }
  }

  static InputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
  }
}
