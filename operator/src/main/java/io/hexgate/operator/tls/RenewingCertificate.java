package io.hexgate.operator.tls;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.hexgate.contract.thread.DaemonThreads;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's serving certificate, issued again when two thirds of its lifetime have passed. Each new
 * TLS handshake presents the newest one; connections already open keep theirs (a certificate is only
 * checked at the handshake).
 */
public final class RenewingCertificate implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RenewingCertificate.class);
  private static final Duration RETRY = Duration.ofMinutes(1);

  private final Supplier<IssuedCertificate> issue;
  private final Clock clock;
  private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          DaemonThreads.factory("hexgate-serving-cert"));
  private volatile IssuedCertificate current;

  /** Issues the first certificate now (failing if it cannot) and schedules its renewals. */
  public RenewingCertificate(Supplier<IssuedCertificate> issue, Clock clock) {
    this.issue = issue;
    this.clock = clock;
    install(issue.get());
  }

  public AdvancedTlsX509KeyManager keyManager() {
    return keyManager;
  }

  public IssuedCertificate current() {
    return current;
  }

  /** When a certificate is due for renewal: after two thirds of its lifetime. */
  public static Instant renewalTime(X509Certificate cert) {
    Instant from = cert.getNotBefore().toInstant();
    Instant to = cert.getNotAfter().toInstant();
    return from.plus(Duration.between(from, to).multipliedBy(2).dividedBy(3));
  }

  private void install(IssuedCertificate cert) {
    keyManager.updateIdentityCredentials(new X509Certificate[] {cert.certificate()}, cert.key());
    current = cert;
    Instant due = renewalTime(cert.certificate());
    schedule(Duration.between(clock.instant(), due));
  }

  private void schedule(Duration in) {
    if (scheduler.isShutdown()) {
      return;
    }
    scheduler.schedule(this::renew, Math.max(0, in.toMillis()), TimeUnit.MILLISECONDS);
  }

  private void renew() {
    try {
      IssuedCertificate next = issue.get();
      install(next);
      log.info("renewed the operator's serving certificate: {} valid until {}",
          RevocationList.format(next.certificate().getSerialNumber()), next.certificate().getNotAfter().toInstant());
    } catch (RuntimeException e) {
      log.error("cannot renew the operator's serving certificate; retrying in {}", RETRY, e);
      schedule(RETRY);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
