package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SelectorRequirement {
  @Required public String key;
  @Required public SelectorOperator operator;
  public List<String> values;

  public SelectorRequirement() {}

  public SelectorRequirement(String key, SelectorOperator operator, List<String> values) {
    this.key = key;
    this.operator = operator;
    this.values = values;
  }
}
