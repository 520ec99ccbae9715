package io.hexgate.operator.node;

import io.hexgate.contract.v1.CertificateResponse;
import java.math.BigInteger;

/** What the agent port does with agents' certificates beyond the TLS handshake: revocation and renewal. */
public interface AgentCertificates {
  /** Neither revokes nor renews (in-process tests without a CA). */
  AgentCertificates NONE =
      new AgentCertificates() {
        @Override
        public boolean revoked(BigInteger serial) {
          return false;
        }

        @Override
        public CertificateResponse renew(String node, String csrPem) {
          throw new IllegalArgumentException("this operator does not renew certificates");
        }
      };

  /** Whether the certificate with this serial number is on the deny list. */
  boolean revoked(BigInteger serial);

  /**
   * Signs an agent's request for a new certificate for {@code node}, the node of the certificate its
   * stream authenticated with.
   *
   * @throws IllegalArgumentException saying why the request is refused
   */
  CertificateResponse renew(String node, String csrPem);
}
