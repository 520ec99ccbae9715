package io.hexgate.operator.tls;

import io.hexgate.contract.v1.CertificateResponse;
import io.hexgate.operator.node.AgentCertificates;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Agents' certificates from the CA: renewals signed by it, the deny list from its Secret. */
public final class NodeCertificates implements AgentCertificates {
  private static final Logger log = LoggerFactory.getLogger(NodeCertificates.class);

  private final CertificateAuthority ca;
  private final RevokedCertificates revoked;

  public NodeCertificates(CertificateAuthority ca, RevokedCertificates revoked) {
    this.ca = ca;
    this.revoked = revoked;
  }

  @Override
  public boolean revoked(BigInteger serial) {
    return revoked.revoked(serial);
  }

  @Override
  public CertificateResponse renew(String node, String csrPem) {
    X509Certificate cert = ca.signAgentRequest(node, csrPem);
    log.info("signed certificate {} for node {}, valid until {}",
        RevocationList.format(cert.getSerialNumber()), node, cert.getNotAfter().toInstant());
    return CertificateResponse.newBuilder()
        .setCertificatePem(Pem.certificate(cert))
        .setCaPem(Pem.certificate(ca.certificate()))
        .build();
  }
}
