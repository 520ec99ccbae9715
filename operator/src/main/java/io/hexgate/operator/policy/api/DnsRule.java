package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Pattern;

/** DNS L7 rule: parsed and kept, not enforced yet. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DnsRule {
  @Pattern("^([-a-zA-Z0-9_]+[.]?)+$")
  public String matchName;

  @Pattern("^([-a-zA-Z0-9_*]+[.]?)+$")
  public String matchPattern;
}
