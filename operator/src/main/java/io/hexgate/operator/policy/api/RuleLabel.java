package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class RuleLabel {
  @Required public String key;
  public String value;
  public String source;
}
