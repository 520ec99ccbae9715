package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** One port (or named port, or range with {@code endPort}) and its protocol. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PortProtocol {
  /** A number 0-65535 or an IANA service name; always a string, as in Cilium's schema. */
  @Pattern("^(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})|([a-zA-Z0-9]-?)*[a-zA-Z](-?[a-zA-Z0-9])*$")
  public String port;

  @Min(0)
  @Max(65535)
  public Integer endPort;

  /**
   * A {@link L4Protocol} name; a string (the CRD schema still lists the names) so that a policy naming
   * another one is reported invalid, naming this field, instead of being dropped by the informer.
   */
  @SchemaFrom(type = L4Protocol.class)
  public String protocol;

  public PortProtocol() {}

  public PortProtocol(String port, L4Protocol protocol) {
    this.port = port;
    this.protocol = protocol == null ? null : protocol.name();
  }

  /** The protocol, null when omitted; fails on a name the validator would have rejected. */
  public L4Protocol l4Protocol() {
    if (protocol == null) {
      return null;
    }
    return L4Protocol.parse(protocol).orElseThrow(() -> new IllegalArgumentException("unsupported protocol " + protocol));
  }
}
