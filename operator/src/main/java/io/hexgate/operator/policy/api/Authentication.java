package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Required;

/**
 * Mutual authentication requirement of an allow rule. Hexgate cannot authenticate peers: an element
 * whose mode is {@code required} or {@code test-always-fail} allows nothing (fail closed), and its
 * policy's status says so.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Authentication {
  /**
   * A {@link Mode} spelling; a string (the CRD schema still lists them) so that a policy naming another
   * one is reported invalid, naming this field, instead of being dropped by the informer.
   */
  @Required
  @SchemaFrom(type = Mode.class)
  public String mode;

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

    /** Whether {@code text} spells one of the modes. */
    public static boolean known(String text) {
      for (Mode m : values()) {
        if (m.yaml.equals(text)) {
          return true;
        }
      }
      return false;
    }
  }
}
