package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** {@code toPorts} element of a deny rule: ports only, deny rules have no L7. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PortDenyRule {
  public List<PortProtocol> ports;

  public PortDenyRule() {}

  public PortDenyRule(List<PortProtocol> ports) {
    this.ports = ports;
  }
}
