package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** An {@code egressDeny} element; it wins over every allow. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EgressDenyRule extends EgressPeers {
  public List<PortDenyRule> toPorts;
}
