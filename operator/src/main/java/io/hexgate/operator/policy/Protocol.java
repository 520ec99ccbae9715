package io.hexgate.operator.policy;

import java.util.Locale;

/** Protocols of rule-map entries; {@code ANY} (L3-only rules) matches every protocol, ICMP included. */
public enum Protocol {
  ANY(0),
  ICMP(1),
  TCP(6),
  UDP(17),
  ICMPV6(58),
  SCTP(132);

  private final int number;

  Protocol(int number) {
    this.number = number;
  }

  /** The IP protocol number, 0 for any. */
  public int number() {
    return number;
  }

  public boolean covers(Protocol p) {
    return this == ANY || this == p;
  }

  public static Protocol parse(String text) {
    try {
      return valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown protocol \"" + text + "\", must be one of tcp, udp, sctp, icmp");
    }
  }
}
