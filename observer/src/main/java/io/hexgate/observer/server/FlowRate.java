package io.hexgate.observer.server;

/** Flows per second over the last minute, from one-second buckets of arrival times. */
final class FlowRate {
  private static final int WINDOW_SECONDS = 60;

  private final long[] bucketSecond = new long[WINDOW_SECONDS];
  private final long[] bucketCount = new long[WINDOW_SECONDS];

  FlowRate() {
    java.util.Arrays.fill(bucketSecond, Long.MIN_VALUE);
  }

  synchronized void record(long epochMillis) {
    long second = Math.floorDiv(epochMillis, 1000);
    int i = (int) Math.floorMod(second, WINDOW_SECONDS);
    if (bucketSecond[i] != second) {
      bucketSecond[i] = second;
      bucketCount[i] = 0;
    }
    bucketCount[i]++;
  }

  /**
   * Flows per second over the minute before {@code epochMillis}; over the uptime instead while it is
   * shorter than a minute, so that a fresh agent does not under-report.
   */
  synchronized double perSecond(long epochMillis, long uptimeMillis) {
    long now = Math.floorDiv(epochMillis, 1000);
    long total = 0;
    for (int i = 0; i < WINDOW_SECONDS; i++) {
      if (bucketSecond[i] > now - WINDOW_SECONDS && bucketSecond[i] <= now) {
        total += bucketCount[i];
      }
    }
    double windowSeconds = Math.min(WINDOW_SECONDS, Math.max(1.0, uptimeMillis / 1000.0));
    return total / windowSeconds;
  }
}
