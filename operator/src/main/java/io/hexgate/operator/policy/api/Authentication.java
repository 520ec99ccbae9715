package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import io.fabric8.generator.annotation.Required;

/** Mutual authentication requirement of an allow rule: parsed and kept, not enforced. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Authentication {
  @Required public Mode mode;

  public enum Mode {
    DISABLED("disabled"),
    REQUIRED("required"),
    TEST_ALWAYS_FAIL("test-always-fail");

    private final String yaml;

    Mode(String yaml) {
      this.yaml = yaml;
    }

    @JsonValue
    public String yaml() {
      return yaml;
    }
  }
}
