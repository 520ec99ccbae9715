package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** {@code fromCIDRSet}/{@code toCIDRSet} element: a prefix with optional exceptions inside it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CidrRule {
  public String cidr;
  public String cidrGroupRef;
  public EndpointSelector cidrGroupSelector;
  public List<String> except;

  public CidrRule() {}

  public CidrRule(String cidr, List<String> except) {
    this.cidr = cidr;
    this.except = except;
  }
}
