package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class HeaderMatch {
  @Required public String name;
  public String value;
  public SecretRef secret;
  public Mismatch mismatch;

  public enum Mismatch {
    LOG,
    ADD,
    DELETE,
    REPLACE
  }
}
