package io.hexgate.datapath.agent;

import io.hexgate.contract.v1.CertificateResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the agent asks the operator for a new client certificate: one timer, set for the rotation's renewal
 * time (again after a renewal, or a little later after a failed one); when it fires and the certificate is
 * due, {@code request} asks on the open stream.
 */
final class CertificateRenewal {
  private static final Logger log = LoggerFactory.getLogger(CertificateRenewal.class);

  private final String node;
  private final CertificateRotation rotation;
  private final ScheduledExecutorService scheduler;
  private final Runnable request;
  private ScheduledFuture<?> timer; // guarded by this
  private boolean closed; // guarded by this
  private volatile Duration retry = Duration.ZERO;

  CertificateRenewal(String node, CertificateRotation rotation, ScheduledExecutorService scheduler, Runnable request) {
    this.node = node;
    this.rotation = rotation;
    this.scheduler = scheduler;
    this.request = request;
  }

  CertificateRotation rotation() {
    return rotation;
  }

  void start() {
    renewAt(rotation.renewalTime());
  }

  void close() {
    synchronized (this) {
      closed = true;
    }
  }

  private void renewAt(Instant when) {
    long ms = Math.max(0, Duration.between(Instant.now(), when).toMillis() + 1); // never before it
    synchronized (this) {
      if (closed) {
        return;
      }
      if (timer != null) {
        timer.cancel(false);
      }
      timer = scheduler.schedule(this::renewIfDue, ms, TimeUnit.MILLISECONDS);
    }
  }

  private void renewIfDue() {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    if (!rotation.due()) {
      renewAt(rotation.renewalTime()); // woken early (clocks differ a little)
    } else {
      request.run();
    }
  }

  /**
   * Installs the operator's answer: true when the new certificate is in place (the stream is to reconnect
   * with it), false when it was not ({@link #retryLater} then asks again).
   */
  boolean install(CertificateResponse response) {
    X509Certificate cert;
    try {
      cert = rotation.install(response);
    } catch (RuntimeException e) {
      retry = rotation.retryDelay();
      log.warn("node {}: certificate not renewed ({}); asking again in {}", node, e.getMessage(), retry);
      return false;
    }
    log.info("node {}: renewed certificate {} (valid until {}) written to {}; reconnecting with it",
        node, cert.getSerialNumber().toString(16), cert.getNotAfter().toInstant(), rotation.directory());
    renewAt(rotation.renewalTime());
    return true;
  }

  /** After a failed renewal: asks again once the rotation's retry delay has passed. */
  void retryLater() {
    renewAt(Instant.now().plus(retry));
  }
}
