package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Pattern;

/** {@code log}: a short text copied into the flows that match the rule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LogConfig {
  @Pattern("^[\\x21-\\x7e]{0,32}$")
  public String value;
}
