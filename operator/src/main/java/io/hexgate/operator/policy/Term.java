package io.hexgate.operator.policy;

import java.util.List;

/**
 * One compiled allow or deny element of a rule, for one {@code toPorts} entry: the peers it names and the
 * ports and L7 rules it grants. {@code ports} null means every port and protocol (an L3-only rule);
 * {@code http} null means no L7 rules.
 */
public record Term(
    PolicyRef origin,
    String path,
    Direction direction,
    boolean deny,
    boolean wildcardPeer,
    List<Selector> peers,
    List<PortSpec> ports,
    List<HttpMatch> http) {

  public Term {
    peers = List.copyOf(peers);
    ports = ports == null ? null : List.copyOf(ports);
    http = http == null ? null : List.copyOf(http);
  }

  public boolean isL3Only() {
    return ports == null;
  }

  /** The port spec that admits this protocol and port, resolving named ports through the resolver. */
  public PortSpec portMatch(Protocol p, int port, NamedPortResolver names) {
    if (ports == null) {
      return PortSpec.ALL;
    }
    for (PortSpec s : ports) {
      if (s.isNamed()) {
        if (s.protocol().covers(p) && names.resolves(s.namedPort(), p, port)) {
          return s;
        }
      } else if (s.matches(p, port)) {
        return s;
      }
    }
    return null;
  }

  /** Resolves a named port for one packet: against the subject's ports (ingress) or the peer's (egress). */
  @FunctionalInterface
  public interface NamedPortResolver {
    boolean resolves(String name, Protocol protocol, int port);
  }
}
