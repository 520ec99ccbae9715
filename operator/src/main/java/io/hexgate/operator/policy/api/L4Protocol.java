package io.hexgate.operator.policy.api;

/**
 * Protocols a port rule may name. {@code ANY} (or omitted) means TCP, UDP and SCTP, never ICMP. {@code VRRP}
 * and {@code IGMP} (Cilium 1.19) carry no ports: a port rule naming them has no port, or port {@code "0"}.
 */
public enum L4Protocol {
  TCP,
  UDP,
  SCTP,
  VRRP,
  IGMP,
  ANY;

  /** The names a policy may use, as listed in the error for any other. */
  public static final String NAMES = "TCP, UDP, SCTP, VRRP, IGMP, ANY";

  /** The protocol spelled {@code name} in a policy, or empty when there is none of that name. */
  public static java.util.Optional<L4Protocol> parse(String name) {
    for (L4Protocol p : values()) {
      if (p.name().equals(name)) {
        return java.util.Optional.of(p);
      }
    }
    return java.util.Optional.empty();
  }

  /** An IP protocol without transport-layer ports (Cilium's extended IP protocols). */
  public boolean portless() {
    return this == VRRP || this == IGMP;
  }
}
