package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.metrics.MetricsServer;
import io.micrometer.core.instrument.Clock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Hubble's flow metrics ({@code hubble_*}, what Hubble serves on 9965) under Hubble's names, labels and
 * counting rules, so that dashboards and alerts written for Hubble work unchanged. Which metrics exist is
 * chosen as with Hubble's {@code --hubble-metrics}; {@code hubble_lost_events_total{source}} comes with any.
 * Thread-safe: flows may be counted from several threads while a scrape runs.
 */
public final class HubbleMetrics {
  private static final Map<String, BiFunction<MetricOptions, PrometheusRegistry, FlowMetric>> PLUGINS =
      new LinkedHashMap<>();

  static {
    PLUGINS.put("dns", DnsMetric::new);
    PLUGINS.put("drop", DropMetric::new);
    PLUGINS.put("flow", FlowsProcessedMetric::new);
    PLUGINS.put("flows-to-world", FlowsToWorldMetric::new);
    PLUGINS.put("http", (o, r) -> new HttpMetric(o, r, false));
    PLUGINS.put("httpV2", (o, r) -> new HttpMetric(o, r, true));
    PLUGINS.put("icmp", IcmpMetric::new);
    PLUGINS.put("kafka", KafkaMetric::new);
    PLUGINS.put("policy", PolicyVerdictMetric::new);
    PLUGINS.put("port-distribution", PortDistributionMetric::new);
    PLUGINS.put("tcp", TcpFlagsMetric::new);
  }

  private static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  private final List<String> enabled;
  private final FlowMetric[] metrics;
  private final Series<CounterDataPoint> lost;

  private HubbleMetrics(PrometheusMeterRegistry registry, List<String> enabled, FlowMetric[] metrics,
      Series<CounterDataPoint> lost) {
    this.registry = registry;
    this.enabled = enabled;
    this.metrics = metrics;
    this.lost = lost;
  }

  /**
   * Hubble's {@code --hubble-metrics} value: metric names separated by spaces, each optionally followed by
   * {@code :} and options separated by {@code ;}, e.g. {@code "dns drop tcp flow port-distribution icmp
   * httpV2:exemplars=true;labelsContext=source_namespace,destination_namespace"}.
   * Metrics: dns, drop, flow, flows-to-world, http, httpV2, icmp, kafka, policy, port-distribution, tcp.
   * Blank enables none.
   *
   * @throws IllegalArgumentException naming the unknown metric, option or option value, a metric listed
   *     twice, or http together with httpV2 (both define {@code hubble_http_requests_total})
   */
  public static HubbleMetrics parse(String enabled) {
    PrometheusRegistry prometheus = new PrometheusRegistry();
    List<String> names = new ArrayList<>();
    List<FlowMetric> metrics = new ArrayList<>();
    for (String spec : enabled.trim().split("\\s+")) {
      if (spec.isEmpty()) {
        continue;
      }
      int colon = spec.indexOf(':');
      String name = colon < 0 ? spec : spec.substring(0, colon);
      BiFunction<MetricOptions, PrometheusRegistry, FlowMetric> plugin = PLUGINS.get(name);
      if (plugin == null) {
        throw new IllegalArgumentException("unknown Hubble metric '" + name + "' (known: "
            + String.join(", ", PLUGINS.keySet()) + ")");
      }
      if (names.contains(name)) {
        throw new IllegalArgumentException("Hubble metric '" + name + "' is listed twice");
      }
      if ((name.equals("http") && names.contains("httpV2")) || (name.equals("httpV2") && names.contains("http"))) {
        throw new IllegalArgumentException("Hubble metrics 'http' and 'httpV2' cannot both be enabled:"
            + " both define hubble_http_requests_total");
      }
      MetricOptions options = MetricOptions.parse(name, colon < 0 ? null : spec.substring(colon + 1));
      FlowMetric metric = plugin.apply(options, prometheus);
      options.rejectUnread();
      names.add(name);
      metrics.add(metric);
    }
    Series<CounterDataPoint> lost = null;
    if (!metrics.isEmpty()) {
      lost = Series.counter(prometheus, "hubble_lost_events_total", "Number of lost events", false, "source");
      for (LostEventSource s : List.of(LostEventSource.PERF_EVENT_RING_BUFFER, LostEventSource.OBSERVER_EVENTS_QUEUE,
          LostEventSource.HUBBLE_RING_BUFFER)) {
        lost.get(source(s, s.getNumber()));
      }
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, prometheus, Clock.SYSTEM);
    return new HubbleMetrics(registry, List.copyOf(names), metrics.toArray(new FlowMetric[0]), lost);
  }

  /** The enabled metrics' names, in the order given. */
  public List<String> enabled() {
    return enabled;
  }

  /** Counts one flow in every enabled metric. */
  public void onFlow(Flow flow) {
    for (FlowMetric m : metrics) {
      m.onFlow(flow);
    }
  }

  /**
   * Removes the series that name a deleted pod: by the {@code pod} source / destination context, or by both
   * {@code source_namespace} and {@code source_pod} (or the destination's) labels. Hubble does this a minute
   * after the deletion, so that flows still in flight are counted first; that delay is the caller's to keep.
   */
  public void forgetPod(String namespace, String pod) {
    for (FlowMetric m : metrics) {
      m.forgetPod(namespace, pod);
    }
  }

  /** Counts {@code count} events lost at {@code source}; nothing when no metric is enabled. */
  public void onLost(LostEventSource source, long count) {
    if (lost != null && count > 0) {
      lost.get(source(source, source.getNumber())).inc(count);
    }
  }

  private static String source(LostEventSource source, int number) {
    return FlowLabels.name(source, number).toLowerCase(Locale.ROOT);
  }

  /** The Prometheus text exposition (format 0.0.4), as served at {@code /metrics}. */
  public String scrape() {
    return registry.scrape();
  }

  /** The OpenMetrics exposition, which is where exemplars ({@code httpV2:exemplars=true}) show. */
  public String scrapeOpenMetrics() {
    return registry.scrape(OPEN_METRICS);
  }

  /**
   * The registry the metrics live in: other meters bound to it (e.g. the gRPC server's) are scraped with
   * them, as Hubble serves its gRPC metrics beside its flow metrics.
   */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Serves {@link #scrape()} at {@code /metrics} on {@code port} (Hubble's is 9965; 0 picks a free one) of the
   * calling thread's network namespace.
   */
  public MetricsServer serve(int port) throws IOException {
    return MetricsServer.start(port, "hubble-metrics", this::scrape);
  }
}
