package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Required;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SelectorRequirement {
  @Required public String key;
  /**
   * A {@link SelectorOperator} name; a string (the CRD schema still lists the names) so that a policy
   * naming another one is reported invalid, naming this field, instead of being dropped by the informer.
   */
  @Required
  @SchemaFrom(type = SelectorOperator.class)
  public String operator;
  public List<String> values;

  public SelectorRequirement() {}

  public SelectorRequirement(String key, SelectorOperator operator, List<String> values) {
    this.key = key;
    this.operator = operator == null ? null : operator.name();
    this.values = values;
  }
}
