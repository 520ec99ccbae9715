package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;

/** {@code icmps} element: ICMP types (by number or name) per family. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IcmpRule {
  public List<Field> fields;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Field {
    /**
     * A {@link Family} name, IPv4 when omitted; a string (the CRD schema still lists the names) so that
     * a policy naming another one is reported invalid, naming this field, instead of being dropped.
     */
    @SchemaFrom(type = Family.class)
    public String family;
    public IntOrString type;
  }

  public enum Family {
    IPv4,
    IPv6
  }
}
