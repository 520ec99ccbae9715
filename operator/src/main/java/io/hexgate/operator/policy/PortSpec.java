package io.hexgate.operator.policy;

/**
 * One protocol and port range of a rule, or a named port still to be resolved. For ICMP the "port" is
 * the ICMP type, as in Cilium's policy map.
 */
public record PortSpec(Protocol protocol, int from, int to, String namedPort) {
  public static final PortSpec ALL = new PortSpec(Protocol.ANY, 0, 65535, null);

  public static PortSpec range(Protocol p, int from, int to) {
    return new PortSpec(p, from, to, null);
  }

  public static PortSpec named(Protocol p, String name) {
    return new PortSpec(p, 0, 0, name);
  }

  public boolean isNamed() {
    return namedPort != null;
  }

  public boolean isAllPorts() {
    return namedPort == null && from == 0 && to == 65535;
  }

  /** Whether a packet of protocol {@code p} to port {@code port} falls under this spec. */
  public boolean matches(Protocol p, int port) {
    return protocol.covers(p) && port >= from && port <= to;
  }

  @Override
  public String toString() {
    if (protocol == Protocol.ANY) {
      return "any";
    }
    String proto = protocol.name();
    if (namedPort != null) {
      return namedPort + "/" + proto;
    }
    if (isAllPorts()) {
      return "*/" + proto;
    }
    return (from == to ? String.valueOf(from) : from + "-" + to) + "/" + proto;
  }
}
