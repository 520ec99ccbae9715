package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** An {@code ingressDeny} element; it wins over every allow. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IngressDenyRule extends IngressPeers {
  public List<PortDenyRule> toPorts;
}
