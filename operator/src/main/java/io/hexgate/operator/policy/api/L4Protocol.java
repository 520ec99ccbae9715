package io.hexgate.operator.policy.api;

/** Protocols a port rule may name. {@code ANY} (or omitted) means TCP, UDP and SCTP, never ICMP. */
public enum L4Protocol {
  TCP,
  UDP,
  SCTP,
  ANY;

  /** The protocol spelled {@code name} in a policy, or empty when there is none of that name. */
  public static java.util.Optional<L4Protocol> parse(String name) {
    for (L4Protocol p : values()) {
      if (p.name().equals(name)) {
        return java.util.Optional.of(p);
      }
    }
    return java.util.Optional.empty();
  }
}
