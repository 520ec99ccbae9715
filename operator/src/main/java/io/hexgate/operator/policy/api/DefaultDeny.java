package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code enableDefaultDeny}: unset directions default to whether the rule has entries there. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DefaultDeny {
  public Boolean ingress;
  public Boolean egress;

  public DefaultDeny() {}

  public DefaultDeny(Boolean ingress, Boolean egress) {
    this.ingress = ingress;
    this.egress = egress;
  }
}
