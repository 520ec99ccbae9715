package io.hexgate.operator.policy.api;

/** Protocols a port rule may name. {@code ANY} (or omitted) means TCP, UDP and SCTP, never ICMP. */
public enum L4Protocol {
  TCP,
  UDP,
  SCTP,
  ANY
}
