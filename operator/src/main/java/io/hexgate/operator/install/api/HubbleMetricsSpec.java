package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class HubbleMetricsSpec {
  public static final int DEFAULT_PORT = io.hexgate.observer.server.HubbleServices.METRICS_PORT;
  /** Cilium's usual choice: flows, drops, TCP flags, ports, ICMP, DNS and HTTP, HTTP per namespace pair. */
  public static final List<String> DEFAULT_ENABLED = List.of(
      "dns", "drop", "tcp", "flow", "port-distribution", "icmp",
      "httpV2:exemplars=true;labelsContext=source_namespace,destination_namespace");

  @JsonPropertyDescription("The Hubble metrics the agents serve, as Cilium's Helm value hubble.metrics.enabled: a metric name each, optionally with options after a colon, e.g. \"httpV2:exemplars=true;labelsContext=source_namespace,destination_namespace\" (metrics: dns, drop, flow, flows-to-world, http, httpV2, icmp, kafka, policy, port-distribution, tcp). Empty serves none. Default: dns, drop, tcp, flow, port-distribution, icmp and httpV2 with exemplars and namespace labels.")
  public List<String> enabled;

  @JsonPropertyDescription("The port of Hubble's /metrics on the node's address (agents use the host's network), behind the headless Service hubble-metrics. Default: 9965.")
  @Min(1)
  @Max(65535)
  public Integer port;

  public List<String> enabled() {
    return enabled == null ? DEFAULT_ENABLED : enabled;
  }

  public int port() {
    return port == null ? DEFAULT_PORT : port;
  }
}
