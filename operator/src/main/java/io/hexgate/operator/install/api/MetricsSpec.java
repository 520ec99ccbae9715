package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class MetricsSpec {
  public static final int DEFAULT_PORT = 9962;

  @JsonPropertyDescription("Whether agents serve Prometheus metrics on /metrics, behind the headless Service hexgate-agent-metrics. Default: true.")
  public Boolean enabled;

  @JsonPropertyDescription("The port of the agents' metrics, on the node's address (agents use the host's network). Default: 9962.")
  @Min(1)
  @Max(65535)
  public Integer port;

  public boolean enabled() {
    return enabled == null || enabled;
  }

  public int port() {
    return port == null ? DEFAULT_PORT : port;
  }
}
