package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Max;
import java.util.List;

/** {@code toPorts} element of an allow rule: ports, optionally with L7 rules. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PortRule {
  public List<PortProtocol> ports;
  public L7Rules rules;
  public TlsContext terminatingTLS;
  public TlsContext originatingTLS;
  public List<String> serverNames;
  public Listener listener;

  public PortRule() {}

  public PortRule(List<PortProtocol> ports, L7Rules rules) {
    this.ports = ports;
    this.rules = rules;
  }

  /** Envoy listener reference; kept so that policies using it round-trip, not enforced. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Listener {
    public EnvoyConfigRef envoyConfig;
    public String name;
    @Max(100)
    public Integer priority;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class EnvoyConfigRef {
    public String kind;
    public String name;
  }
}
