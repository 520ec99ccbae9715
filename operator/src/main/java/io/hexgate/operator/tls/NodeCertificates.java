package io.hexgate.operator.tls;

import io.hexgate.contract.v1.CertificateResponse;
import io.hexgate.operator.node.AgentCertificates;
import java.math.BigInteger;
import java.security.cert.X509Certificate;

/** Agents' certificates from the CA: renewals signed by it, the deny list from its Secret. */
public final class NodeCertificates implements AgentCertificates {
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
    return CertificateResponse.newBuilder()
        .setCertificatePem(Pem.certificate(cert))
        .setCaPem(Pem.certificate(ca.certificate()))
        .build();
  }
}
