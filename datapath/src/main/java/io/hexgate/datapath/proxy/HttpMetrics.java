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
  private final Map<String, Counter> requests = new ConcurrentHashMap<>();
  private final Map<String, Counter> responses = new ConcurrentHashMap<>();
  private final Map<String, Timer> durations = new ConcurrentHashMap<>();

  HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  static String reporter(ProxyDirection d) {
    return d == ProxyDirection.INGRESS ? "server" : "client";
  }

  void request(String method, String protocol, ProxyDirection d) {
    String reporter = reporter(d);
    requests.computeIfAbsent(method + ' ' + protocol + ' ' + reporter,
        k -> Counter.builder("hubble.http.requests")
            .description("Count of HTTP requests")
            .tag("method", method).tag("protocol", protocol).tag("reporter", reporter)
            .register(registry))
        .increment();
  }

  void response(String method, String protocol, int status, ProxyDirection d, long latencyNanos) {
    String reporter = reporter(d);
    String code = Integer.toString(status);
    responses.computeIfAbsent(method + ' ' + protocol + ' ' + code + ' ' + reporter,
        k -> Counter.builder("hubble.http.responses")
            .description("Count of HTTP responses")
            .tag("method", method).tag("protocol", protocol).tag("status", code).tag("reporter", reporter)
            .register(registry))
        .increment();
    durations.computeIfAbsent(method + ' ' + reporter,
        k -> Timer.builder("hubble.http.request.duration")
            .description("Quantiles of HTTP request duration in seconds")
            .tag("method", method).tag("reporter", reporter)
            .serviceLevelObjectives(BUCKETS)
            .register(registry))
        .record(latencyNanos, TimeUnit.NANOSECONDS);
  }

  private static Duration[] buckets(double... seconds) {
    Duration[] d = new Duration[seconds.length];
    for (int i = 0; i < seconds.length; i++) {
      d[i] = Duration.ofNanos(Math.round(seconds[i] * 1e9));
    }
    return d;
  }
}
