package io.hexgate.operator.policy;

import java.util.List;
import java.util.Set;

/**
 * One rule-map entry of an endpoint's direction: remote identity (0 = any), protocol ({@code ANY} = every
 * protocol, ICMP included), port range (the ICMP type for ICMP) and what to do, with the policies that
 * produced it.
 */
public record RuleMapEntry(
    long remoteIdentity,
    Protocol protocol,
    int portFrom,
    int portTo,
    Action action,
    List<HttpMatch> http,
    Set<PolicyRef> derivedFrom) {

  public enum Action {
    ALLOW,
    DENY,
    /** Allow at L3/L4 and hand the connection to the HTTP proxy, which applies {@code http}. */
    REDIRECT
  }

  public RuleMapEntry {
    http = http == null ? List.of() : List.copyOf(http);
    derivedFrom = Set.copyOf(derivedFrom);
  }

  public boolean matches(long remote, Protocol p, int port) {
    return (remoteIdentity == 0 || remoteIdentity == remote)
        && protocol.covers(p)
        && port >= portFrom
        && port <= portTo;
  }

  /** The key part: what the entry matches, without the action. */
  public Key key() {
    return new Key(remoteIdentity, protocol, portFrom, portTo);
  }

  public record Key(long remoteIdentity, Protocol protocol, int portFrom, int portTo) {}
}
