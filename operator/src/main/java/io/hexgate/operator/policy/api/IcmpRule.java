package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;

/** {@code icmps} element: ICMP types (by number or name) per family. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IcmpRule {
  public List<Field> fields;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Field {
    public Family family;
    public IntOrString type;
  }

  public enum Family {
    IPv4,
    IPv6
  }
}
