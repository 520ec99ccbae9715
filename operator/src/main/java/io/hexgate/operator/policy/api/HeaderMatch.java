package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class HeaderMatch {
  @Required public String name;
  public String value;
  public SecretRef secret;
  /**
   * A {@link Mismatch} name; a string (the CRD schema still lists the names) so that a policy naming
   * another one is reported invalid, naming this field, instead of being dropped by the informer.
   */
  @SchemaFrom(type = Mismatch.class)
  public String mismatch;

  public enum Mismatch {
    LOG,
    ADD,
    DELETE,
    REPLACE
  }
}
