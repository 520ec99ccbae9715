package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class HubbleSpec {
  @JsonPropertyDescription("Whether agents serve Hubble's Observer and Peer on port 4244 of their node (mutual TLS: only the operator's relay gets in), which the relay and hubble CLI read flows from, behind the Service hubble-peer. false turns off Hubble on the agents altogether: the Observer, its metrics and the flow export. Default: true.")
  public Boolean enabled;

  @JsonPropertyDescription("Flows each agent keeps for clients (the agent's --hubble-event-buffer-capacity): one less than a power of two, at most 65535. Default: 4095.")
  @ValidationRule(
      value = "self in [1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16383, 32767, 65535]",
      message = "must be one less than a power of two, from 1 to 65535")
  public Integer eventBufferCapacity;

  @JsonPropertyDescription("Hubble's Prometheus metrics of the agents.")
  public HubbleMetricsSpec metrics;

  @JsonPropertyDescription("Every flow written by each agent to a file of its node as JSON lines, like Hubble's static exporter; off while filePath is unset.")
  public HubbleExportSpec export;

  public boolean enabled() {
    return enabled == null || enabled;
  }

  public HubbleMetricsSpec metrics() {
    return metrics == null ? new HubbleMetricsSpec() : metrics;
  }

  public HubbleExportSpec export() {
    return export == null ? new HubbleExportSpec() : export;
  }
}
