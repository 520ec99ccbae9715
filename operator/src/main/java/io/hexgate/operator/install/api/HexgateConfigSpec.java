package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class HexgateConfigSpec {
  @JsonPropertyDescription("The node agents: one per node, run by the DaemonSet hexgate-agent in the operator's namespace.")
  public AgentSpec agent;

  @JsonPropertyDescription("Prometheus metrics of the node agents.")
  public MetricsSpec metrics;

  @JsonPropertyDescription("Hubble on the node agents: the Observer the operator's relay (Service hubble-relay) reads flows from, Hubble's metrics and the flow export.")
  public HubbleSpec hubble;

  public AgentSpec agent() {
    return agent == null ? new AgentSpec() : agent;
  }

  public MetricsSpec metrics() {
    return metrics == null ? new MetricsSpec() : metrics;
  }

  public HubbleSpec hubble() {
    return hubble == null ? new HubbleSpec() : hubble;
  }
}
