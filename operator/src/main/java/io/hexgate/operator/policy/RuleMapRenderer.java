package io.hexgate.operator.policy;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.ReservedIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads an endpoint's policy as the datapath applies it: verdicts for single connections and whole rule
 * maps, named ports resolved on ingress against the endpoint's own container ports and on egress
 * against the ports of the remote identity's pods.
 */
final class RuleMapRenderer {
  private RuleMapRenderer() {}

  static Verdict decide(PolicyState state, Endpoint subject, Direction d, Identity remote, Protocol p, int port) {
    Identity self = state.identityOf(subject.key());
    DirectionPolicy dp = direction(state.policy(self.id()), d);
    if (d == Direction.INGRESS) {
      return dp.decide(remote.id(), p, port, subject::hasNamedPort);
    }
    return dp.decide(
        remote.id(),
        p,
        port,
        (name, proto, n) -> peers(state, remote.id()).anyMatch(e -> e.hasNamedPort(name, proto, n)),
        (name, proto, n) -> peers(state, ReservedIdentity.ANY).anyMatch(e -> e.hasNamedPort(name, proto, n)));
  }

  static RuleMap ruleMap(PolicyState state, Endpoint.Key key, Direction d) {
    Endpoint self = state.endpoint(key);
    Identity identity = state.identityOf(key);
    if (self == null || identity == null) {
      throw new IllegalArgumentException("no endpoint " + key);
    }
    DirectionPolicy dp = direction(state.policy(identity.id()), d);
    List<RuleMapEntry> out = new ArrayList<>();
    if (!dp.enforcing()) {
      out.add(new RuleMapEntry(ReservedIdentity.ANY, Protocol.ANY, 0, 65535, RuleMapEntry.Action.ALLOW, null, Set.of()));
    }
    for (Map.Entry<Long, List<Term>> e : dp.byRemote().entrySet()) {
      long remote = e.getKey();
      for (Term t : e.getValue()) {
        RuleMapEntry.Action action =
            t.deny() ? RuleMapEntry.Action.DENY : t.http() == null ? RuleMapEntry.Action.ALLOW : RuleMapEntry.Action.REDIRECT;
        Set<PolicyRef> from = Set.of(t.origin());
        List<PortSpec> specs = t.ports() == null ? List.of(PortSpec.ALL) : t.ports();
        for (PortSpec s : specs) {
          if (!s.isNamed()) {
            out.add(new RuleMapEntry(remote, s.protocol(), s.from(), s.to(), action, t.http(), from));
            continue;
          }
          Stream<Endpoint> owners = d == Direction.INGRESS ? Stream.of(self) : peers(state, remote);
          owners
              .flatMap(o -> o.namedPorts().stream())
              .filter(np -> np.name().equalsIgnoreCase(s.namedPort()) && s.protocol().covers(np.protocol()))
              .map(np -> np.port())
              .distinct()
              .forEach(n -> out.add(new RuleMapEntry(remote, s.protocol(), n, n, action, t.http(), from)));
        }
      }
    }
    return RuleMap.of(dp.enforcing(), out);
  }

  private static DirectionPolicy direction(IdentityPolicy policy, Direction d) {
    return policy == null ? new DirectionPolicy(false) : policy.direction(d);
  }

  /** The pods of an identity whose named ports resolve egress rules; for any peer (0), every pod. */
  private static Stream<Endpoint> peers(PolicyState state, long identity) {
    if (identity == ReservedIdentity.ANY) {
      return state.endpoints().stream();
    }
    return state.endpointsWithIdentity(identity).stream().map(state::endpoint);
  }
}
