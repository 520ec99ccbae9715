package io.hexgate.operator.tls;

import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/** Reads and checks the PKCS#10 requests agents send to renew their certificates. */
final class CertificateRequests {
  private CertificateRequests() {}

  /** A request whose signature verified with its own key. {@code commonName} is null unless exactly one CN. */
  record Parsed(String subject, String commonName, PublicKey publicKey) {}

  /** @throws IllegalArgumentException naming what is wrong with the request */
  static Parsed parse(String pem) {
    Object o;
    try (PEMParser parser = new PEMParser(new StringReader(pem == null ? "" : pem))) {
      o = parser.readObject();
    } catch (IOException e) {
      throw new IllegalArgumentException("the certificate request is not valid PEM: " + e.getMessage(), e);
    }
    if (!(o instanceof org.bouncycastle.pkcs.PKCS10CertificationRequest req)) {
      throw new IllegalArgumentException("no PEM certificate request (BEGIN CERTIFICATE REQUEST)");
    }
    JcaPKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(req);
    PublicKey key;
    try {
      key = csr.getPublicKey();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the certificate request's public key is unreadable", e);
    }
    if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
      throw new IllegalArgumentException("the certificate request's key must be EC P-256, not " + key.getAlgorithm());
    }
    try {
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw new IllegalArgumentException("the certificate request's signature does not match its key");
      }
    } catch (OperatorCreationException | PKCSException e) {
      throw new IllegalArgumentException("cannot verify the certificate request's signature: " + e.getMessage(), e);
    }
    X500Name subject = csr.getSubject();
    var cns = subject.getRDNs(BCStyle.CN);
    String cn =
        cns.length == 1 && !cns[0].isMultiValued() && subject.getRDNs().length == 1
            ? cns[0].getFirst().getValue().toString()
            : null;
    return new Parsed(subject.toString(), cn, key);
  }
}
