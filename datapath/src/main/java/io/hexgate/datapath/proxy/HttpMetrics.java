package io.hexgate.datapath.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Hubble's legacy {@code http} metrics: {@code hubble_http_requests_total{method,protocol,reporter}},
 * {@code hubble_http_responses_total{method,protocol,status,reporter}} and
 * {@code hubble_http_request_duration_seconds{method,reporter}} with Prometheus' default buckets. The reporter
 * is {@code server} when the server's ingress policy redirected, {@code client} for the client's egress.
 */
final class HttpMetrics {
  private static final Duration[] BUCKETS = buckets(
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);

  private final MeterRegistry registry;
  private final Map<Labels, Counter> requests = new ConcurrentHashMap<>();
  private final Map<Labels, Counter> responses = new ConcurrentHashMap<>();
  private final Map<Labels, Timer> durations = new ConcurrentHashMap<>();

  /** A meter's label values: a cheap map key (no string building per request). */
  private record Labels(String method, String protocol, int status, ProxyDirection direction) {}

  HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  static String reporter(ProxyDirection d) {
    return d == ProxyDirection.INGRESS ? "server" : "client";
  }

  void request(String method, String protocol, ProxyDirection d) {
    Labels request = new Labels(method, protocol, 0, d);
    Counter c = requests.get(request);
    if (c == null) {
      c = requests.computeIfAbsent(request, this::requestCounter);
    }
    c.increment();
  }

  void response(String method, String protocol, int status, ProxyDirection d, long latencyNanos) {
    Labels response = new Labels(method, protocol, status, d);
    Counter c = responses.get(response);
    if (c == null) {
      c = responses.computeIfAbsent(response, this::responseCounter);
    }
    c.increment();
    Labels duration = new Labels(method, "", 0, d);
    Timer t = durations.get(duration);
    if (t == null) {
      t = durations.computeIfAbsent(duration, this::durationTimer);
    }
    t.record(latencyNanos, TimeUnit.NANOSECONDS);
  }

  private Counter requestCounter(Labels l) {
    return Counter.builder("hubble.http.requests")
        .description("Count of HTTP requests")
        .tag("method", l.method()).tag("protocol", l.protocol()).tag("reporter", reporter(l.direction()))
        .register(registry);
  }

  private Counter responseCounter(Labels l) {
    return Counter.builder("hubble.http.responses")
        .description("Count of HTTP responses")
        .tag("method", l.method()).tag("protocol", l.protocol()).tag("status", Integer.toString(l.status()))
        .tag("reporter", reporter(l.direction()))
        .register(registry);
  }

  private Timer durationTimer(Labels l) {
    return Timer.builder("hubble.http.request.duration")
        .description("Quantiles of HTTP request duration in seconds")
        .tag("method", l.method()).tag("reporter", reporter(l.direction()))
        .serviceLevelObjectives(BUCKETS)
        .register(registry);
  }

  private static Duration[] buckets(double... seconds) {
    Duration[] d = new Duration[seconds.length];
    for (int i = 0; i < seconds.length; i++) {
      d[i] = Duration.ofNanos(Math.round(seconds[i] * 1e9));
    }
    return d;
  }
}
