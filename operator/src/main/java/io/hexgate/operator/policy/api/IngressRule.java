package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** An {@code ingress} (allow) element; present members are ANDed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IngressRule extends IngressPeers {
  public List<PortRule> toPorts;
  public Authentication authentication;
}
