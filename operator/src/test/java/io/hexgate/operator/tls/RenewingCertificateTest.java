package io.hexgate.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The operator's serving certificate is issued again before it expires, and the key manager serves the new one. */
class RenewingCertificateTest {
  @Test
  void shouldRenewTheServingCertificateAtTwoThirdsOfItsLifetime() {
    CertificateAuthority ca =
        CertificateAuthority.create("hexgate-ca", Clock.systemUTC()).withLeafValidity(Duration.ofSeconds(3));
    AtomicInteger issued = new AtomicInteger();
    try (RenewingCertificate cert =
        new RenewingCertificate(
            () -> {
              issued.incrementAndGet();
              return ca.issueServer("hexgate-operator", List.of("localhost"), List.of());
            },
            Clock.systemUTC())) {
      X509Certificate first = cert.current().certificate();
      assertThat(served(cert)).isEqualTo(first.getSerialNumber());
      Instant due = RenewingCertificate.renewalTime(first);
      assertThat(due).isBefore(first.getNotAfter().toInstant());

      // the counter moves when the supplier is called, before the new certificate is in place
      await().atMost(Duration.ofSeconds(10)).until(() -> issued.get() >= 2
          && !cert.current().certificate().getSerialNumber().equals(first.getSerialNumber()));
      X509Certificate second = cert.current().certificate();
      assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
      assertThat(Instant.now()).isBefore(first.getNotAfter().toInstant());
      assertThat(served(cert)).isEqualTo(second.getSerialNumber());
    }
  }

  @Test
  void shouldBackdateAShortLivedCertificateByATenthOfItsLifetimeAtMost() {
    CertificateAuthority ca =
        CertificateAuthority.create("hexgate-ca", Clock.systemUTC()).withLeafValidity(Duration.ofSeconds(30));
    X509Certificate c = ca.issueAgent("node-a").certificate();
    Duration lifetime = Duration.between(c.getNotBefore().toInstant(), c.getNotAfter().toInstant());
    assertThat(lifetime).isLessThanOrEqualTo(Duration.ofSeconds(34));
    // so it is not due for renewal the moment it is issued
    assertThat(RenewingCertificate.renewalTime(c)).isAfter(Instant.now().plusSeconds(15));
  }

  private static BigInteger served(RenewingCertificate cert) {
    String alias = cert.keyManager().chooseEngineServerAlias("EC", null, null);
    return cert.keyManager().getCertificateChain(alias)[0].getSerialNumber();
  }
}
