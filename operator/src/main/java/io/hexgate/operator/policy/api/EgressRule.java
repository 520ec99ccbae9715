package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** An {@code egress} (allow) element; present members are ANDed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EgressRule extends EgressPeers {
  public List<FqdnSelector> toFQDNs;
  public List<PortRule> toPorts;
  public Authentication authentication;
}
