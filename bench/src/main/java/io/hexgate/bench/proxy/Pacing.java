package io.hexgate.bench.proxy;

import java.util.Locale;

/**
 * How wrk holds a request rate below its maximum: wrk has no rate option, but a Lua {@code delay()} makes
 * each connection wait before its next request. A connection then sends one request per (delay + latency),
 * so {@code connections} connections at a mean delay of {@code meanDelayMillis} come close to the rate.
 * wrk's delays are whole milliseconds: the script draws floor or ceiling of the mean so that the average is
 * the mean. Approximate: the latency under load is not known beforehand, so {@link #adjusted} corrects the
 * delay by the rate a run achieved.
 */
public record Pacing(double rate, int connections, double meanDelayMillis) {
  /** The delay each connection aims at: long against a request's latency, so latency's share stays small. */
  static final double AIMED_DELAY_MILLIS = 5;
  static final int MAX_CONNECTIONS = 500;

  /**
   * Connections and delay for {@code rate} requests/s on {@code threads} wrk threads (at least one
   * connection each), given the path's unloaded latency (µs), which each request adds to the delay.
   */
  public static Pacing forRate(double rate, int threads, double latencyMicros) {
    if (!(rate > 0) || threads < 1 || latencyMicros < 0) {
      throw new IllegalArgumentException("pacing needs a positive rate and thread count, got " + rate + ", " + threads);
    }
    int connections = (int) Math.max(threads, Math.min(MAX_CONNECTIONS, Math.round(rate * AIMED_DELAY_MILLIS / 1000)));
    double period = connections * 1000 / rate; // ms between two requests of one connection
    return new Pacing(rate, connections, Math.max(0, period - latencyMicros / 1000));
  }

  /**
   * The pacing that would have hit the rate in a run that achieved {@code achieved} requests/s with this one:
   * each connection's period was {@code connections / achieved} instead of {@code connections / rate}, the
   * difference being latency and wrk's own overhead, which the delay now leaves room for.
   */
  public Pacing adjusted(double achieved) {
    if (!(achieved > 0)) {
      return new Pacing(rate, connections, 0);
    }
    double missing = connections * 1000 / achieved - connections * 1000 / rate;
    return new Pacing(rate, connections, Math.max(0, meanDelayMillis - missing));
  }

  /** wrk's script: POST to the URL's path, each connection waiting the delay before every request. */
  public String script() {
    long floor = (long) Math.floor(meanDelayMillis);
    return WrkScripts.POST + String.format(Locale.ROOT, """
        local floor, fraction = %d, %.6f
        function delay()
          if math.random() < fraction then return floor + 1 end
          return floor
        end
        """, floor, meanDelayMillis - floor);
  }
}
