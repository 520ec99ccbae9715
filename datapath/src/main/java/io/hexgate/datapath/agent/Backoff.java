package io.hexgate.datapath.agent;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential reconnect delays with ±20% jitter, so that agents restarted together do not retry together. */
public record Backoff(Duration initial, Duration max) {
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));

  /** The delay before attempt {@code failures} (1 = after the first failure). */
  public Duration delay(int failures) {
    double base = initial.toMillis() * Math.pow(2, Math.min(failures - 1, 20));
    double capped = Math.min(base, max.toMillis());
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis(Math.max(1, (long) (capped * jitter)));
  }
}
